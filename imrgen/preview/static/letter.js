const key = document.body.dataset.letter;
const frame = document.getElementById('html');
const pages = document.getElementById('pages');
const errors = document.getElementById('errors');
const status = document.getElementById('status');
let shown = {html: -1, pages: -1};
function q(path, extra) {
  return path + '?l=' + encodeURIComponent(key) + (extra || '');
}
async function refresh() {
  const response = await fetch(q('/state'), {cache: 'no-store'});
  if (response.status === 404) { location.href = '/'; return; }
  show(await response.json());
}
function show(s) {
  document.title = s.title + ' - imrgen preview';
  if (s.errors.length) {
    errors.textContent = s.errors.map(e => (e.kind === 'case' ? 'Case ' : e.kind === 'template'
      ? 'Template ' : 'Error in ') + e.source + '\n' + e.lines.map(l => '  ' + l).join('\n')
    ).join('\n\n') + '\n\n(showing the last good render)';
    errors.hidden = false;
  } else {
    errors.textContent = '';
    errors.hidden = true;
  }
  if (s.html_version !== shown.html) {
    shown.html = s.html_version;
    let y = 0;
    try { y = frame.contentWindow.scrollY; } catch (e) {}
    frame.onload = () => { try { frame.contentWindow.scrollTo(0, y); } catch (e) {} };
    frame.src = q('/html', '&v=' + s.html_version);
  }
  if (s.pages_version !== shown.pages) {
    shown.pages = s.pages_version;
    const imgs = [];
    for (let n = 1; n <= s.page_count; n++) {
      const img = document.createElement('img');
      img.alt = 'page ' + n;
      img.src = q('/page', '&n=' + n + '&v=' + s.pages_version);
      imgs.push(img);
    }
    pages.replaceChildren(...imgs);
  }
  pages.classList.toggle('stale', s.pages_stale);
  status.textContent = 'html v' + s.html_version + ', pages v' + s.pages_version +
    (s.pages_stale ? ' (rendering pages...)' : '');
  document.body.dataset.htmlVersion = s.html_version;
  document.body.dataset.pagesVersion = s.pages_version;
  document.body.dataset.errors = s.errors.length;
}
const events = new EventSource(q('/events'));
for (const name of ['hello', 'html', 'pages', 'error', 'removed']) {
  events.addEventListener(name, e => {
    const d = JSON.parse(e.data);
    if (d.letter !== undefined && d.letter !== key) return;
    if (d.state) show(d.state); else refresh();
  });
}
