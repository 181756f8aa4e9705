/** The console's one stylesheet: readable on a phone, AA contrast in light and dark, visible focus. */
export const CONSOLE_CSS = `
:root{color-scheme:light dark;--fg:#1b1f24;--muted:#4b5563;--bg:#fff;--line:#d0d7de;--accent:#0a58ca;--on-accent:#fff;--ok:#116329;--wait:#7a4a00;--block:#a40e26;--panel:#f6f8fa;--focus:#b45309}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#a8b3bf;--bg:#0d1117;--line:#3d444d;--accent:#79b8ff;--on-accent:#0d1117;--ok:#56d364;--wait:#e3b341;--block:#ff7b72;--panel:#161b22;--focus:#f0b429}}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--accent)}
a:focus,button:focus,input:focus,select:focus,textarea:focus,summary:focus{outline:3px solid var(--focus);outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:var(--bg);padding:4px 8px;z-index:9}
header.top{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center;padding:.6rem 1rem;border-bottom:1px solid var(--line);background:var(--panel)}
header.top .brand{font-weight:700;text-decoration:none;color:var(--fg)}
header.top nav ul{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;margin:0;padding:0}
header.top .who{margin-left:auto;display:flex;gap:.5rem;align-items:center}
form.search{display:flex;gap:.4rem;align-items:center}form.search input{width:14rem}
main{max-width:72rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;margin:.5rem 0 1rem}h2{font-size:1.2rem;margin:1.5rem 0 .5rem}h3{font-size:1.05rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem;font-size:.95rem}
caption{text-align:left;font-weight:600;padding:.25rem 0}
th,td{border:1px solid var(--line);padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:var(--panel)}
.scroll{overflow-x:auto}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9em}
.state{display:inline-block;padding:0 .4rem;border-radius:.3rem;border:1px solid currentColor;font-size:.85rem;font-weight:600}
.allow,.allowed,.success,.pass,.active-ok,.verified{color:var(--ok)}.wait,.waiting,.pending,.in_progress,.queued,.freeze,.running,.inconclusive{color:var(--wait)}.block,.failure,.error,.rejected,.expired,.failed{color:var(--block)}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,22rem),1fr));gap:1rem;padding:0;list-style:none}
.card{border:1px solid var(--line);border-radius:.5rem;padding:.75rem}
.card h2{margin:0 0 .5rem}
ol.pipeline{list-style:none;padding:0;margin:0;display:flex;flex-wrap:wrap;gap:.5rem}
ol.pipeline li{flex:1 1 9rem;border:1px solid var(--line);border-radius:.4rem;padding:.4rem;background:var(--panel)}
ol.pipeline .label{font-size:.8rem;text-transform:uppercase;letter-spacing:.03em;color:var(--muted);display:block;margin-top:.3rem}
.muted{color:var(--muted)}
.notice{border:1px solid var(--ok);padding:.5rem;border-radius:.4rem}
.problem{border:1px solid var(--block);padding:.5rem;border-radius:.4rem;color:var(--block)}
.frozen{border:2px solid var(--wait);padding:.5rem .75rem;border-radius:.4rem;margin:.5rem 0}
.frozen strong{color:var(--wait)}
.banner{margin:0;padding:.5rem 1rem;background:#fff4ce;color:#4d3800;border-bottom:2px solid #b58105;font-weight:600;text-align:center}
ol.steps{margin:.25rem 0;padding-left:1.25rem}
form.inline{display:inline}
input.tz{max-width:14rem;display:inline-block}
form.stack{display:grid;gap:.5rem;max-width:32rem;border:1px solid var(--line);padding:.75rem;border-radius:.4rem;margin:.5rem 0}
form.filters{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,11rem),1fr));gap:.5rem;align-items:end}
label{font-weight:600;display:block}
input,select,textarea{font:inherit;padding:.3rem;border:1px solid #6b7280;border-radius:.3rem;width:100%;color:var(--fg);background:var(--bg)}
button{font:inherit;padding:.35rem .8rem;border-radius:.3rem;border:1px solid var(--accent);background:var(--accent);color:var(--on-accent);cursor:pointer}
button.secondary{background:var(--bg);color:var(--accent)}
details{margin:.5rem 0}summary{cursor:pointer;font-weight:600}
.md table{font-size:.9rem}
footer{max-width:72rem;margin:2rem auto;padding:0 1rem;color:var(--muted);font-size:.9rem}
@media (max-width:40rem){main{padding:.5rem}th,td{padding:.25rem}form.search input{width:100%}
table.stack thead{position:absolute;left:-9999px}
table.stack,table.stack tbody,table.stack tr,table.stack td{display:block;width:100%}
table.stack caption{display:block}
table.stack tr{border:1px solid var(--line);border-radius:.4rem;margin:0 0 .5rem;padding:.25rem}
table.stack td{border:0;padding:.15rem .25rem}
table.stack td[data-label]::before{content:attr(data-label) ": ";font-weight:600;color:var(--muted)}}
`.trim();
