"""The letter: how a case becomes words and a page. templates (template families, the Jinja
environment), structure (the letter's blocks that every writer walks), i18n (catalogs and dates),
look (styles/look.yaml, the one definition of fonts, spacing and geometry), caches (what rendering
keeps between letters). It builds on the case and never on the formats or drivers above it."""
