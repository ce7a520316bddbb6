const events = new EventSource('/events');
let timer = null;
function later() { clearTimeout(timer); timer = setTimeout(() => location.reload(), 150); }
for (const name of ['index', 'removed', 'error']) events.addEventListener(name, later);
events.addEventListener('html', e => { if (JSON.parse(e.data).cleared) later(); });
events.addEventListener('pages', e => {
  const d = JSON.parse(e.data);
  const img = document.querySelector(`li[data-letter="${CSS.escape(d.letter)}"] img`);
  if (!img) { later(); return; }
  img.src = '/page?l=' + encodeURIComponent(d.letter) + '&n=1&v=' + d.version;
});
