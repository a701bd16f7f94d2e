// 看板: a small dashboard for a center's head, read from the workflow's figures
// (`workflowMeasures`, api/measures.py): the disputes open now with their clocks (在办, 临期,
// 超期, 挂账) by area and by holder; for the disputes reported in a period, the share settled at
// each level (小事不出村, 大事不出镇), the bounce (踢皮球), whistle (吹哨) and on-time rates by area
// and by department; and the repeat visitors. Charts are inline SVG drawn here, each beside a
// table that says the same in numbers, so a screen reader reads the table.

import { useState } from 'preact/hooks';
import { gql } from './api.js';
import { PlacePicker } from './place.js';
import { Loaded, html, useLoad } from './ui.js';
import { LABEL, LEVEL, name } from './zh.js';

const REF = '{ label key name }';
const OPEN = `{ unit ${REF} open approaching overdue paused }`;
const MEASURES = `query Measures($within: String, $from: Date, $to: Date, $level: AreaLevel!) {
  workflowMeasures(within: $within, from: $from, to: $to, level: $level) {
    disputes
    openByArea ${OPEN}
    openByHolder ${OPEN}
    byArea { area ${REF} disputes bounceRate whistleRate onTimeRate settledShare { level share } }
    byDepartment { department ${REF} orders bounced bounceRate whistled whistleRate onTimeRate }
    repeatVisitors { person ${REF} disputes }
  }
}`;

const GROUPS = [
  ['GRID', '网格'],
  ['VILLAGE', '村（社区）'],
  ['TOWN', '镇（街道）'],
  ['COUNTY', '县（区）'],
];
// An open dispute's clock, as the queue's badge says it; 正常 is what is left.
const CLOCKS = [
  ['overdue', '超期', 'late'],
  ['approaching', '临期', 'soon'],
  ['paused', '暂停', 'paused'],
  ['within', '正常', 'within'],
];
const SETTLED_AT = ['grid', 'village', 'town', 'county', 'court'];
const BELOW = { COUNTY: 'TOWN', TOWN: 'VILLAGE', VILLAGE: 'GRID' };

function percent(share) {
  return share === null || share === undefined ? '—' : `${(100 * share).toFixed(1)}%`;
}

function within(o) {
  return o.open - o.approaching - o.overdue - o.paused;
}

// One horizontal bar of segments [{value, tone}] over `whole`; drawn, not read (aria-hidden):
// the row's numbers say the same.
function Stack({ parts, whole }) {
  let x = 0;
  return html`<svg class="stack" viewBox="0 0 100 10" preserveAspectRatio="none" width="100%" height="14"
      aria-hidden="true" focusable="false">
    <rect class="track" x="0" y="0" width="100" height="10" />
    ${parts.map((p) => {
      const w = whole ? (100 * p.value) / whole : 0;
      const r = html`<rect key=${p.tone} class=${p.tone} x=${x} y="0" width=${w} height="10" />`;
      x += w;
      return r;
    })}
  </svg>`;
}

function Legend({ items }) {
  return html`<p class="legend" aria-hidden="true">
    ${items.map(([tone, text]) => html`<span key=${tone}><i class=${'swatch ' + tone}></i>${text}</span>`)}
  </p>`;
}

function Open({ m }) {
  const total = m.openByArea.reduce(
    (s, o) => ({ open: s.open + o.open, approaching: s.approaching + o.approaching, overdue: s.overdue + o.overdue, paused: s.paused + o.paused }),
    { open: 0, approaching: 0, overdue: 0, paused: 0 },
  );
  const top = Math.max(1, ...m.openByArea.map((o) => o.open));
  return html`<section class="card" aria-labelledby="open-title">
    <h2 id="open-title">在办（当前）</h2>
    <div class="tiles">
      <p class="tile"><span class="n">${total.open}</span> 在办</p>
      <p class="tile approaching"><span class="n">${total.approaching}</span> 临期</p>
      <p class="tile breached"><span class="n">${total.overdue}</span> 超期</p>
      <p class="tile"><span class="n">${total.paused}</span> 挂账暂停</p>
    </div>
    <${Legend} items=${CLOCKS.map(([, text, tone]) => [tone, text])} />
    <table class="chart open-by-area">
      <caption>按地区</caption>
      <thead><tr><th scope="col">地区</th><th scope="col" class="bar"><span class="visually-hidden">图</span></th>
        <th scope="col">在办</th><th scope="col">临期</th><th scope="col">超期</th><th scope="col">暂停</th></tr></thead>
      <tbody>
        ${m.openByArea.map(
          (o) => html`<tr key=${o.unit.key}>
            <th scope="row">${o.unit.name || o.unit.key}</th>
            <td class="bar"><${Stack} whole=${top} parts=${CLOCKS.map(([k, , tone]) => ({ tone, value: k === 'within' ? within(o) : o[k] }))} /></td>
            <td data-label="在办">${o.open}</td><td data-label="临期">${o.approaching}</td><td data-label="超期">${o.overdue}</td><td data-label="暂停">${o.paused}</td>
          </tr>`,
        )}
      </tbody>
    </table>
    ${m.openByArea.length ? '' : html`<p class="empty">范围内没有在办的纠纷。</p>`}
    <details>
      <summary>按办理单位（${m.openByHolder.length}）</summary>
      <table class="by-unit open-by-holder">
        <caption class="visually-hidden">按办理单位</caption>
        <thead><tr><th scope="col">办理单位</th><th scope="col">在办</th><th scope="col">临期</th><th scope="col">超期</th><th scope="col">暂停</th></tr></thead>
        <tbody>
          ${m.openByHolder.map(
            (o) => html`<tr key=${o.unit.label + o.unit.key}>
              <th scope="row">${o.unit.name || o.unit.key} <span class="sub">${name(LABEL, o.unit.label)}</span></th>
              <td>${o.open}</td><td>${o.approaching}</td><td>${o.overdue}</td><td>${o.paused}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </details>
  </section>`;
}

function Areas({ m, from, to }) {
  const tones = SETTLED_AT.map((l) => [`lv-${l}`, name(LEVEL, l)]);
  return html`<section class="card" aria-labelledby="areas-title">
    <h2 id="areas-title">${from} 至 ${to} 登记的纠纷</h2>
    <div class="tiles"><p class="tile"><span class="n">${m.disputes}</span> 登记</p></div>
    <${Legend} items=${tones} />
    <table class="chart by-area">
      <caption>各级化解（占已化解）与办理情况</caption>
      <thead><tr><th scope="col">地区</th><th scope="col">登记</th><th scope="col" class="bar">各级化解</th>
        <th scope="col">小事不出村</th><th scope="col">大事不出镇</th>
        <th scope="col">退单率</th><th scope="col">吹哨率</th><th scope="col">按时率</th></tr></thead>
      <tbody>
        ${m.byArea.map((a) => {
          const share = Object.fromEntries(a.settledShare.map((s) => [s.level, s.share]));
          const village = (share.grid || 0) + (share.village || 0);
          const shown = a.settledShare.length;
          return html`<tr key=${a.area.key}>
            <th scope="row">${a.area.name || a.area.key}</th>
            <td data-label="登记">${a.disputes}</td>
            <td class="bar">
              <${Stack} whole=${1} parts=${SETTLED_AT.map((l) => ({ tone: `lv-${l}`, value: share[l] || 0 }))} />
              <span class="sub">${SETTLED_AT.filter((l) => l in share).map((l) => `${name(LEVEL, l)} ${percent(share[l])}`).join(' · ') || '无已化解'}</span>
            </td>
            <td data-label="不出村">${shown ? percent(village) : '—'}</td>
            <td data-label="不出镇">${shown ? percent(village + (share.town || 0)) : '—'}</td>
            <td data-label="退单率">${percent(a.bounceRate)}</td><td data-label="吹哨率">${percent(a.whistleRate)}</td><td data-label="按时率">${percent(a.onTimeRate)}</td>
          </tr>`;
        })}
      </tbody>
    </table>
    ${m.byArea.length ? '' : html`<p class="empty">这段时间范围内没有登记的纠纷。</p>`}
  </section>`;
}

function Departments({ m }) {
  const rows = [...m.byDepartment].sort((a, b) => (b.bounceRate ?? 0) - (a.bounceRate ?? 0) || b.orders - a.orders);
  return html`<section class="card" aria-labelledby="departments-title">
    <h2 id="departments-title">部门：退单与吹哨</h2>
    <${Legend} items=${[['bounce', '退单率（退单 / 收到）'], ['whistle', '吹哨率（被吹哨的纠纷 / 登记）']]} />
    <table class="chart by-department">
      <caption class="visually-hidden">部门的退单率、吹哨率和按时率</caption>
      <thead><tr><th scope="col">部门</th><th scope="col">收到</th><th scope="col">退单</th>
        <th scope="col" class="bar"><span class="visually-hidden">图</span></th>
        <th scope="col">退单率</th><th scope="col">被吹哨</th><th scope="col">吹哨率</th><th scope="col">按时率</th></tr></thead>
      <tbody>
        ${rows.map(
          (d) => html`<tr key=${d.department.key}>
            <th scope="row">${d.department.name || d.department.key}</th>
            <td data-label="收到">${d.orders}</td><td data-label="退单">${d.bounced}</td>
            <td class="bar pair">
              <${Stack} whole=${1} parts=${[{ tone: 'bounce', value: d.bounceRate || 0 }]} />
              <${Stack} whole=${1} parts=${[{ tone: 'whistle', value: d.whistleRate || 0 }]} />
            </td>
            <td data-label="退单率">${percent(d.bounceRate)}</td><td data-label="被吹哨">${d.whistled}</td><td data-label="吹哨率">${percent(d.whistleRate)}</td><td data-label="按时率">${percent(d.onTimeRate)}</td>
          </tr>`,
        )}
      </tbody>
    </table>
    ${rows.length ? '' : html`<p class="empty">这段时间没有派往部门或吹哨部门的纠纷。</p>`}
  </section>`;
}

function Visitors({ m }) {
  return html`<section class="card" aria-labelledby="visitors-title">
    <h2 id="visitors-title">重复来访（同一人 2 件及以上）</h2>
    ${m.repeatVisitors.length
      ? html`<ol class="visitors">
          ${m.repeatVisitors.map((v) => html`<li key=${v.person.key}><strong>${v.person.name}</strong> <span class="n">${v.disputes} 件</span></li>`)}
        </ol>`
      : html`<p class="empty">这段时间没有重复来访的当事人。</p>`}
  </section>`;
}

export function Dashboard({ me, date }) {
  const [place, setPlace] = useState(null);
  const [from, setFrom] = useState(date.slice(0, 4) + '-01-01');
  const [to, setTo] = useState(date);
  const scope = place ? place.code : me.place?.code || me.scope || null; // the picker stops at villages
  const [level, setLevel] = useState(null);
  // a county's head looks at its towns, a town's at its villages, a village's at its grids
  const group = level || BELOW[(place || me.place)?.level] || 'TOWN';
  const end = to < from ? from : to;
  const state = useLoad(
    () => gql(MEASURES, { within: scope, from, to: end, level: group }),
    [scope, from, end, group],
  );
  return html`<section aria-labelledby="dash-title">
    <div class="page-head"><h1 id="dash-title" tabindex="-1">看板</h1></div>
    <form class="filters" aria-label="看板范围" onSubmit=${(e) => e.preventDefault()}>
      <${PlacePicker} root=${me.place ? { kind: 'unit', ...me.place } : null} idPrefix="dash-place" legend="地区"
        onChange=${setPlace} />
      <span class="field"><label for="dash-group">分组</label>
        <select id="dash-group" value=${group} onChange=${(e) => setLevel(e.target.value)}>
          ${GROUPS.map(([v, t]) => html`<option value=${v}>${t}</option>`)}
        </select></span>
      <span class="field"><label for="dash-from">登记起</label>
        <input id="dash-from" type="date" value=${from} max=${to} onChange=${(e) => e.target.value && setFrom(e.target.value)} /></span>
      <span class="field"><label for="dash-to">登记止</label>
        <input id="dash-to" type="date" value=${to} min=${from} onChange=${(e) => e.target.value && setTo(e.target.value)} /></span>
    </form>
    <${Loaded} state=${state} what="看板数据">
      ${(d) => {
        const m = d.workflowMeasures;
        return html`<div class="columns dash">
          <div><${Open} m=${m} /><${Visitors} m=${m} /></div>
          <div><${Areas} m=${m} from=${from} to=${end} /><${Departments} m=${m} /></div>
        </div>`;
      }}
    </${Loaded}>
  </section>`;
}
