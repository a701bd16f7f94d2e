// A dispute's page: what it is and where, its parties and their earlier disputes, and the three
// headline answers (referral, experts, escalation ladder) in tabs. A dispute with a workflow log
// shows its clocks, its timeline and the actions this caller may take (workflow.js); one loaded
// without a log shows who handled it, as the graph records it.
// Every name, mobile and ID number is shown exactly as the API returned it to this caller.

import { useState } from 'preact/hooks';
import { gql } from './api.js';
import { clock } from './clock.js';
import { Experts, Ladder, Referral } from './headline.js';
import { ClockBadge, FlowClock, Loaded, RiskFlag, Tabs, TabPanel, html, link, useLoad } from './ui.js';
import { CHANNEL, LEVEL, OUTCOME, SIDE, STATE, STEP, name } from './zh.js';
import { Actions, Clocks, Timeline, WORKFLOW } from './workflow.js';

const EARLIER = `disputes { id title reportedOn status outcome domain { name } }`;

const DISPUTE = `query Dispute($id: ID!) {
  dispute(id: $id) {
    id title reportedOn channel status outcome settledLevel settledOn parties warning satisfaction
    domain { code name }
    listItem { id name itemClass timeLimitDays }
    grid { id name kind unit { code name parent { code name parent { code name } } } }
    participants { side party { __typename
      ... on Person { id name gender idNumber mobile home { name } ${EARLIER} }
      ... on Organisation { id name kind ${EARLIER} } } }
    handling { step onDate handler { __typename
      ... on Person { id name } ... on Center { id name }
      ... on MediationOrg { id name } ... on Department { id name } } }
    ${WORKFLOW}
  }
}`;

const HANDLER = { Person: '人员', Center: '中心', MediationOrg: '调解组织', Department: '部门' };

export function Dispute({ id, date }) {
  const [reads, setReads] = useState(0); // read again after an action, or a stale version
  const state = useLoad(() => gql(DISPUTE, { id }), [id, reads]);
  const [tab, setTab] = useState('referral');
  return html`<article aria-labelledby="dispute-title">
    <p class="crumbs"><a href=${link('/queue')}>工作台</a> › ${id}</p>
    <${Loaded} state=${state} what="纠纷">
      ${(data) =>
        data.dispute
          ? html`<${Summary} d=${data.dispute} date=${date} />
              <div class="columns">
                <div>
                  ${data.dispute.workflow
                    ? html`<${Actions} id=${id} flow=${data.dispute.workflow} onChanged=${() => setReads((n) => n + 1)} />
                        <${Clocks} flow=${data.dispute.workflow} />
                        <${Timeline} flow=${data.dispute.workflow} />`
                    : ''}
                  <${Parties} d=${data.dispute} />
                  ${data.dispute.workflow ? '' : html`<${Handling} d=${data.dispute} />`}
                </div>
                <section aria-labelledby="help-title" class="card">
                  <h2 id="help-title">研判</h2>
                  <${Tabs} label="研判" idPrefix="help" selected=${tab} onSelect=${setTab} tabs=${[
                    { key: 'referral', label: '分流建议' },
                    { key: 'experts', label: '专家' },
                    { key: 'ladder', label: '上报路径' },
                  ]} />
                  <${TabPanel} idPrefix="help" selected=${tab}>
                    <div hidden=${tab !== 'referral'}><${Referral} id=${id} date=${date} /></div>
                    <div hidden=${tab !== 'experts'}><${Experts} id=${id} date=${date} /></div>
                    <div hidden=${tab !== 'ladder'}><${Ladder} id=${id} date=${date} /></div>
                  </${TabPanel}>
                </section>
              </div>`
          : html`<h1 id="dispute-title" tabindex="-1">没有编号为 ${id} 的纠纷</h1>`}
    </${Loaded}>
  </article>`;
}

function Summary({ d, date }) {
  const unit = d.grid?.unit;
  const place = [unit?.parent?.parent?.name, unit?.parent?.name, unit?.name, d.grid?.name].filter(Boolean);
  const flow = d.workflow;
  const open = flow ? flow.state !== 'closed' : !d.outcome;
  const governing = flow?.clocks.reduce((a, c) => (!a || c.remainingMinutes - c.overdueMinutes < a.remainingMinutes - a.overdueMinutes ? c : a), null);
  return html`<header class="card summary">
    <h1 id="dispute-title" tabindex="-1">${d.title}</h1>
    <dl class="facts">
      <div><dt>编号</dt><dd>${d.id}</dd></div>
      <div><dt>步骤</dt><dd>${name(STEP, d.status)}${d.outcome ? `（${name(OUTCOME, d.outcome)}）` : ''}</dd></div>
      ${flow ? html`<div><dt>状态</dt><dd>${name(STATE, flow.state)}</dd></div>` : ''}
      ${open && flow
        ? html`<div><dt>时限</dt><dd><${FlowClock} clock=${governing} named=${true} /></dd></div>`
        : open
        ? html`<div><dt>时限</dt><dd><${DueClock} d=${d} date=${date} /></dd></div>`
        : html`<div><dt>化解</dt><dd>${d.settledOn || ''} ${name(LEVEL, d.settledLevel)}</dd></div>`}
      <div><dt>风险</dt><dd><${RiskFlag} warning=${d.warning} /></dd></div>
      <div><dt>类别</dt><dd>${d.domain?.name || '—'}</dd></div>
      <div><dt>事项</dt><dd>${d.listItem ? `${d.listItem.name}（${d.listItem.timeLimitDays} 天）` : '—'}</dd></div>
      <div><dt>地点</dt><dd>${place.join(' › ') || '—'}</dd></div>
      <div><dt>登记</dt><dd>${d.reportedOn}${d.channel ? ' · ' + name(CHANNEL, d.channel) : ''}</dd></div>
      <div><dt>当事方</dt><dd>${d.parties ?? '—'} 方</dd></div>
      ${d.satisfaction ? html`<div><dt>满意度</dt><dd>${d.satisfaction} / 5</dd></div>` : ''}
    </dl>
  </header>`;
}

// The due day the referral gives the responsible department (the server counts it, in the
// county's handling unit and calendar, as the workflow would), on the page's day.
const DUE = `query Due($id: ID!) { referral(disputeId: $id) { steps { part due } } }`;

function DueClock({ d, date }) {
  const state = useLoad(() => gql(DUE, { id: d.id }), [d.id]);
  const step = state.data?.referral.steps.find((s) => s.part === 'RESPONSIBLE_DEPARTMENT');
  if (!state.data) return state.error ? html`<span class="clock none" title=${state.error.message}>无时限</span>` : '';
  return html`<${ClockBadge} clock=${clock(d.reportedOn, step?.due, date)} />`;
}

function Parties({ d }) {
  return html`<section aria-labelledby="parties-title" class="card">
    <h2 id="parties-title">当事人</h2>
    ${d.participants.length ? '' : html`<p class="empty">图中没有记录当事人。</p>`}
    <ul class="parties">
      ${d.participants.map((p) => html`<li key=${p.party.id}><${Party} p=${p} self=${d.id} /></li>`)}
    </ul>
  </section>`;
}

function Party({ p, self }) {
  const x = p.party;
  const earlier = x.disputes.filter((e) => e.id !== self);
  const person = x.__typename === 'Person';
  return html`<div class="party">
    <p class="who"><strong>${x.name}</strong> <span class="tag">${name(SIDE, p.side) || '当事方'}</span>
      ${person ? '' : html`<span class="tag">单位</span>`}</p>
    ${person
      ? html`<dl class="facts small">
          <div><dt>身份证号</dt><dd>${x.idNumber || '—'}</dd></div>
          <div><dt>手机</dt><dd>${x.mobile || '—'}</dd></div>
          <div><dt>户籍</dt><dd>${x.home?.name || '—'}</dd></div>
        </dl>`
      : ''}
    <details open=${earlier.length > 0 && earlier.length <= 3}>
      <summary>以往纠纷 ${earlier.length} 件</summary>
      ${earlier.length
        ? html`<ul class="earlier">
            ${earlier.map(
              (e) => html`<li key=${e.id}>
                <a href=${link('/dispute/' + e.id)}>${e.title}</a>
                <span class="sub">${e.id} · ${e.reportedOn} · ${e.domain?.name || ''} ·
                  ${e.outcome ? name(OUTCOME, e.outcome) : '在办：' + name(STEP, e.status)}</span>
              </li>`,
            )}
          </ul>`
        : html`<p class="empty">没有其他纠纷。</p>`}
    </details>
  </div>`;
}

function Handling({ d }) {
  return html`<section aria-labelledby="handling-title" class="card">
    <h2 id="handling-title">办理经过</h2>
    ${d.handling.length
      ? html`<ol class="timeline">
          ${d.handling.map(
            (s, i) => html`<li key=${i}>
              <span class="when">${s.onDate || '—'}</span>
              <span class="what">${name(STEP, s.step)}</span>
              <span class="by">${s.handler.name}<span class="sub">${HANDLER[s.handler.__typename] || ''}</span></span>
            </li>`,
          )}
        </ol>`
      : html`<p class="empty">尚无办理记录。</p>`}
    <p class="note">此处为图中记录的办理环节；流程日志（每个动作、理由与时钟）随纠纷流程接口上线。</p>
  </section>`;
}
