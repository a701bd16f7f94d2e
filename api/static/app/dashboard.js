// 看板: a small dashboard for a center's head, from what the read side has today — open
// disputes by unit with their clocks and risk colours, the share settled at each level
// (小事不出村, 大事不出镇) and how disputes ended, for a period.

import { useMemo, useState } from 'preact/hooks';
import { gql } from './api.js';
import { clock } from './clock.js';
import { useOpenDisputes } from './open.js';
import { PlacePicker } from './place.js';
import { Loaded, Problem, html, useLoad } from './ui.js';
import { LEVEL, OUTCOME, WARNING, name } from './zh.js';

const COUNT = (filter) =>
  `disputes(within: $within, reportedFrom: $from, reportedTo: $to, first: 0${filter}) { totalCount }`;
const LEVELS = ['GRID', 'VILLAGE', 'TOWN', 'COUNTY', 'COURT'];
const OUTCOMES = ['SETTLED', 'UNSETTLED', 'WITHDRAWN', 'LITIGATED'];
const HISTORY = `query History($within: String, $from: Date, $to: Date) {
  all: ${COUNT('')}
  open: ${COUNT(', open: true')}
  ${OUTCOMES.map((o) => `${o}: ${COUNT(`, outcome: ${o}`)}`).join('\n  ')}
  ${LEVELS.map((l) => `at_${l}: ${COUNT(`, outcome: SETTLED, settledLevel: ${l}`)}`).join('\n  ')}
}`;

// Rows of a figure as a table with a bar each: people would rather look than read, and a
// screen reader reads the table.
function Bars({ caption, rows, total, unit = '件' }) {
  const top = Math.max(1, ...rows.map((r) => r.value));
  return html`<table class="bars">
    <caption>${caption}</caption>
    <tbody>
      ${rows.map(
        (r) => html`<tr key=${r.label}>
          <th scope="row">${r.label}</th>
          <td class="bar" aria-hidden="true">
            <svg viewBox="0 0 100 10" preserveAspectRatio="none" width="100%" height="14" focusable="false">
              <rect x="0" y="0" height="10" width=${(100 * r.value) / top} class=${r.tone || ''} />
            </svg>
          </td>
          <td class="num">${r.value} ${unit}${total ? html`<span class="sub"> ${percent(r.value, total)}</span>` : ''}</td>
        </tr>`,
      )}
    </tbody>
  </table>`;
}

function percent(part, whole) {
  return whole ? `${((100 * part) / whole).toFixed(1)}%` : '—';
}

function Open({ within, date }) {
  const open = useOpenDisputes(within);
  const byUnit = useMemo(() => {
    const deep = (within || '').length >= 9; // a town's head looks at its villages
    const groups = new Map();
    for (const r of open.rows) {
      const unit = deep ? r.village : r.town;
      const key = unit?.code || '';
      const g = groups.get(key) || { name: unit?.name || '（未知）', open: 0, approaching: 0, breached: 0 };
      g.open += 1;
      const c = clock(r.reportedOn, r.listItem?.timeLimitDays, date);
      if (c && c.state !== 'within') g[c.state] += 1;
      groups.set(key, g);
    }
    return [...groups.values()].sort((a, b) => b.breached - a.breached || b.open - a.open);
  }, [open.rows, date, within]);
  if (open.error) return html`<${Problem} error=${open.error} />`;
  const total = byUnit.reduce((s, g) => ({ open: s.open + g.open, approaching: s.approaching + g.approaching, breached: s.breached + g.breached }), { open: 0, approaching: 0, breached: 0 });
  const warnings = Object.keys(WARNING).map((w) => ({ label: name(WARNING, w) + '色', value: open.rows.filter((r) => r.warning === w).length, tone: w.toLowerCase() }));
  return html`<section class="card" aria-labelledby="open-title">
    <h2 id="open-title">在办（截至 ${date}）${open.done ? '' : html`<span class="sub" role="status"> 读取中 ${open.rows.length} / ${open.total ?? '…'}</span>`}</h2>
    <div class="tiles">
      <p class="tile"><span class="n">${total.open}</span> 在办</p>
      <p class="tile approaching"><span class="n">${total.approaching}</span> 临期</p>
      <p class="tile breached"><span class="n">${total.breached}</span> 超期</p>
    </div>
    <${Bars} caption="三色预警（在办）" rows=${warnings} />
    <table class="by-unit">
      <caption>按单位</caption>
      <thead><tr><th scope="col">单位</th><th scope="col">在办</th><th scope="col">临期</th><th scope="col">超期</th></tr></thead>
      <tbody>
        ${byUnit.map((g) => html`<tr key=${g.name}><th scope="row">${g.name}</th><td>${g.open}</td><td>${g.approaching}</td><td>${g.breached}</td></tr>`)}
      </tbody>
    </table>
  </section>`;
}

function History({ within, from, to }) {
  const state = useLoad(() => gql(HISTORY, { within, from, to }), [within, from, to]);
  return html`<section class="card" aria-labelledby="history-title">
    <h2 id="history-title">${from} 至 ${to} 登记的纠纷</h2>
    <${Loaded} state=${state} what="统计">
      ${(d) => {
        const all = d.all.totalCount;
        const levels = LEVELS.map((l) => ({ label: name(LEVEL, l), value: d['at_' + l].totalCount }));
        const village = levels[0].value + levels[1].value;
        const town = village + levels[2].value;
        return html`<div class="tiles">
            <p class="tile"><span class="n">${all}</span> 登记</p>
            <p class="tile"><span class="n">${percent(village, all)}</span> 小事不出村（网格、村化解）</p>
            <p class="tile"><span class="n">${percent(town, all)}</span> 大事不出镇（镇及以下化解）</p>
          </div>
          <${Bars} caption="各级化解（占登记总数）" rows=${levels} total=${all} />
          <${Bars} caption="结果" total=${all} rows=${[
            ...OUTCOMES.map((o) => ({ label: name(OUTCOME, o), value: d[o].totalCount })),
            { label: '在办', value: d.open.totalCount },
          ]} />`;
      }}
    </${Loaded}>
  </section>`;
}

export function Dashboard({ me, date }) {
  const [place, setPlace] = useState(null);
  const [from, setFrom] = useState(date.slice(0, 4) + '-01-01');
  const [to, setTo] = useState(date);
  const within = place ? place.code : me.place?.code || me.scope || null;
  return html`<section aria-labelledby="dash-title">
    <div class="page-head"><h1 id="dash-title" tabindex="-1">看板</h1></div>
    <form class="filters" aria-label="看板范围" onSubmit=${(e) => e.preventDefault()}>
      <${PlacePicker} root=${me.place ? { kind: 'unit', ...me.place } : null} idPrefix="dash-place" legend="地区"
        onChange=${setPlace} />
      <span class="field"><label for="dash-from">登记起</label>
        <input id="dash-from" type="date" value=${from} max=${to} onChange=${(e) => e.target.value && setFrom(e.target.value)} /></span>
      <span class="field"><label for="dash-to">登记止</label>
        <input id="dash-to" type="date" value=${to} min=${from} onChange=${(e) => e.target.value && setTo(e.target.value)} /></span>
    </form>
    <div class="columns">
      <${Open} within=${within} date=${date} />
      <${History} within=${within} from=${from} to=${to < from ? from : to} />
    </div>
  </section>`;
}
