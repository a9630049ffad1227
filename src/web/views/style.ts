// The one stylesheet, served from /assets/style.css (CSP: style-src 'self', no inline styles).
export const STYLESHEET = `
:root { color-scheme: light dark; --bg: #f6f7f9; --card: #fff; --text: #1b1f24; --muted: #5b6470;
  --accent: #1f6feb; --accent-text: #fff; --border: #d5d9e0; --error-bg: #fdecea; --error: #a4161a;
  --ok-bg: #e8f5e9; --ok: #1b5e20; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #0f1216; --card: #171b21; --text: #e6e9ee; --muted: #9aa4b1; --accent: #4c8dff;
    --accent-text: #0b0d10; --border: #2c333d; --error-bg: #3a1517; --error: #ffb4ab; --ok-bg: #13301a; --ok: #a5d6a7; }
}
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--text); }
header { padding: 1rem 1.5rem; display: flex; justify-content: space-between; align-items: center; }
header .brand { font-weight: 700; color: var(--text); text-decoration: none; }
header form { margin: 0; }
main { max-width: 34rem; margin: 1rem auto 3rem; padding: 2rem; background: var(--card); border: 1px solid var(--border); border-radius: 12px; }
h1 { font-size: 1.5rem; margin-top: 0; }
label { display: block; font-weight: 600; margin: 1rem 0 .25rem; }
input[type=text], input[type=password] { width: 100%; padding: .6rem .7rem; font-size: 1rem; border: 1px solid var(--border); border-radius: 8px; background: var(--bg); color: var(--text); }
input.otp { display: block; font-size: 1.5rem; letter-spacing: .3em; font-variant-numeric: tabular-nums; max-width: 12rem; }
.checkbox { display: flex; gap: .5rem; align-items: center; font-weight: 400; }
button { margin-top: 1.25rem; padding: .6rem 1.2rem; font-size: 1rem; font-weight: 600; border: 0; border-radius: 8px; background: var(--accent); color: var(--accent-text); cursor: pointer; }
button.secondary { background: transparent; color: var(--accent); border: 1px solid var(--border); }
button.link { margin: 0; padding: .3rem .6rem; font-weight: 400; }
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.error { background: var(--error-bg); color: var(--error); padding: .75rem 1rem; border-radius: 8px; }
.notice { background: var(--ok-bg); color: var(--ok); padding: .75rem 1rem; border-radius: 8px; }
.muted { color: var(--muted); }
.qr { display: block; margin: 1rem auto; width: 240px; height: 240px; image-rendering: pixelated; background: #fff; padding: 0; border-radius: 8px; }
.key { font: 1.15rem/1.6 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; letter-spacing: .05em; word-spacing: .4em; background: var(--bg); padding: .5rem .75rem; border-radius: 8px; border: 1px solid var(--border); user-select: all; }
ol.steps { padding-left: 1.25rem; }
ul.codes { list-style: none; padding: 0; display: grid; grid-template-columns: repeat(2, 1fr); gap: .5rem; }
.recovery-code { font: 1.1rem ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; padding: .4rem .6rem; background: var(--bg); border: 1px solid var(--border); border-radius: 6px; text-align: center; }
details { margin-top: 1.5rem; }
summary { cursor: pointer; color: var(--accent); }
h2 { font-size: 1.15rem; margin-top: 2rem; }
table.events { width: 100%; border-collapse: collapse; font-size: .9rem; }
table.events th, table.events td { text-align: left; padding: .3rem .4rem; border-bottom: 1px solid var(--border); }
ul.devices { padding-left: 1.1rem; }
li.device form { display: inline; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
dt { font-weight: 600; }
`;
