// A dispute's workflow on its page: the clocks of every open step, the timeline of its log, and
// a button for each action the API allows this caller now (`allowedActions`) and nothing else.
// An action opens a short form with the inputs the API says it takes (`inputs`), its targets
// chosen from those the API proposes (`proposed`: the referral's actors for a dispatch, its
// departments for a whistle), and a reason where the rules require one (`reasonRequired`); it
// is sent as `actOnDispute` with the
// version the page shows (`expectedVersion`) and an idempotency key made when the form opened,
// so sending the same form twice applies it once. A stale version says so in Chinese and the
// dispute is read again; any other refusal is shown under the field at fault.

import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, gql, newKey } from './api.js';
import { when } from './clock.js';
import { FlowClock, html } from './ui.js';
import {
  ACTION, CLOCK, LABEL, LEVEL, OUTCOME, PROBLEM, SETTLED, STATE, WARNING, WORKFLOW_ROLE, name,
} from './zh.js';

const REF = `{ label key name }`;
export const WORKFLOW = `workflow {
  state version kind warning holder ${REF}
  clocks { name status due preBreach unit limit limitSource remainingMinutes overdueMinutes who ${REF} }
  pending { action version at by ${REF} }
  counts { assignments bounces loops escalations reopens extensions whistles }
  outcome settledLevel allowedActions { action reasonRequired approvalBy proposed ${REF} inputs }
  log { version at role action fromState toState reason actor ${REF} actsFor ${REF}
        targets ${REF} data { key value } }
}`;

const ACT = `mutation Act($input: ActOnDisputeInput!) {
  actOnDispute(input: $input) {
    replayed userErrors { code message field }
    event { version action toState }
  }
}`;

// How often the dispute was handed on (踢皮球), as the counts say it.
const COUNTS = [
  ['assignments', '派单'],
  ['bounces', '退单'],
  ['loops', '回流'],
  ['escalations', '上报'],
  ['reopens', '重新办理'],
  ['extensions', '延期'],
  ['whistles', '吹哨'],
];

// The log's data worth reading beside the action, its keys in Chinese; the rest (the report's
// own fields, shown above, and the bookkeeping of clocks) stays in the API's answer.
const DATA = {
  level: '层级',
  limit: '时限',
  limit_source: '时限依据',
  outcome: '结果',
  settled_level: '化解层级',
  days: '延期',
  rating: '评分',
  cause: '退单原因',
  request_action: '所批申请',
  result: '反馈',
  warning: '风险',
};
const UNIT = { hours: '小时', working_days: '个工作日', days: '天' };

function dataValue(key, value) {
  if (key === 'limit') {
    try {
      const limit = JSON.parse(value);
      return `${limit.amount} ${UNIT[limit.unit] || limit.unit}`;
    } catch {
      return value;
    }
  }
  if (key === 'outcome') return name(OUTCOME, value.toUpperCase());
  if (key === 'settled_level') return name(SETTLED, value.toUpperCase());
  if (key === 'level') return name(LEVEL, value);
  if (key === 'request_action') return name(ACTION, value);
  if (key === 'warning') return name(WARNING, value.toUpperCase()) + '色';
  if (key === 'cause') return { dispatch_error: '派单错误', not_responsible: '不属本单位职责' }[value] || value;
  return value;
}

function ref(node) {
  return node ? node.name || node.key : '—';
}

export function Counts({ flow }) {
  return html`<dl class="counts" aria-label="流转次数">
    ${COUNTS.map(([k, t]) => html`<div key=${k} class=${k === 'loops' && flow.counts.loops ? 'flagged' : ''}><dt>${t}</dt><dd>${flow.counts[k]} 次</dd></div>`)}
  </dl>`;
}

export function Clocks({ flow }) {
  return html`<section aria-labelledby="clocks-title" class="card">
    <h2 id="clocks-title">时限</h2>
    ${flow.clocks.length
      ? html`<ul class="clocks">
          ${flow.clocks.map(
            (c, i) => html`<li key=${i}>
              <strong>${name(CLOCK, c.name)}</strong> <span class="who-acts">${ref(c.who)}</span>
              <${FlowClock} clock=${c} />
              <span class="sub">时限 ${c.limit} ${UNIT[c.unit] || c.unit} · 依据 ${c.limitSource}</span>
            </li>`,
          )}
        </ul>`
      : html`<p class="empty">没有正在计时的环节。</p>`}
  </section>`;
}

export function Timeline({ flow }) {
  return html`<section aria-labelledby="log-title" class="card">
    <h2 id="log-title">办理经过</h2>
    <ol class="timeline log">
      ${flow.log.map(
        (e) => html`<li key=${e.version}>
          <span class="when">${when(e.at)}</span>
          <span class="what">${name(ACTION, e.action)} <span class="sub">${name(STATE, e.fromState)} → ${name(STATE, e.toState)}</span></span>
          <span class="by">${ref(e.actor)}<span class="sub">${[ref(e.actsFor), name(WORKFLOW_ROLE, e.role)].filter((x) => x && x !== '—').join(' · ')}</span></span>
          ${e.targets.length ? html`<span class="targets">→ ${e.targets.map(ref).join('、')}</span>` : ''}
          ${e.reason ? html`<span class="reason">理由：${e.reason}</span>` : ''}
          <${Data} data=${e.data} />
        </li>`,
      )}
    </ol>
  </section>`;
}

function Data({ data }) {
  const shown = data.filter((d) => DATA[d.key] && d.value !== 'null' && d.value !== '');
  if (!shown.length) return null;
  return html`<span class="data">${shown.map((d) => html`<span key=${d.key}>${DATA[d.key]} ${dataValue(d.key, d.value)}</span>`)}</span>`;
}

// The buttons, the open action's form, and the last answer.
export function Actions({ id, flow, onChanged }) {
  const [open, setOpen] = useState(null); // { action, key }
  const [said, setSaid] = useState(null); // { kind: 'ok'|'stale'|'refused', text }
  const allowed = flow.allowedActions.map((a) => a.action.toLowerCase()); // ACCEPT → accept, as zh.js names them
  const rule = (a) => flow.allowedActions.find((x) => x.action.toLowerCase() === a);
  const start = (action) => {
    setSaid(null);
    setOpen({ action, key: newKey() });
  };
  return html`<section aria-labelledby="actions-title" class="card actions-card">
    <h2 id="actions-title">操作</h2>
    <p class="sub">当前：${name(STATE, flow.state)} · 第 ${flow.version} 版${flow.holder ? ` · 由 ${ref(flow.holder)} 办理` : ''}</p>
    <${Counts} flow=${flow} />
    ${said ? html`<p class=${said.kind === 'ok' ? 'done' : 'problem'} role=${said.kind === 'ok' ? 'status' : 'alert'}>${said.text}</p>` : ''}
    ${allowed.length
      ? html`<div class="buttons">
          ${allowed.map(
            (a) => html`<button type="button" key=${a} aria-pressed=${open?.action === a ? 'true' : 'false'}
              onClick=${() => start(a)}>${name(ACTION, a)}</button>`,
          )}
        </div>`
      : html`<p class="empty">您现在不能对这件纠纷做任何操作。</p>`}
    ${open && allowed.includes(open.action)
      ? html`<${ActionForm} key=${open.key} id=${id} flow=${flow} rule=${rule(open.action)} open=${open}
          onCancel=${() => setOpen(null)}
          onDone=${(text) => { setOpen(null); setSaid({ kind: 'ok', text }); onChanged(); }}
          onStale=${(text) => { setOpen(null); setSaid({ kind: 'stale', text }); onChanged(); }} />`
      : ''}
  </section>`;
}

function blank(action, flow, rule) {
  return {
    reason: '', days: '', outcome: 'SETTLED', settledLevel: '', rating: '5', cause: 'dispatch_error',
    request: flow.pending[0] ? String(flow.pending[0].version) : '', urgent: false, tough: false, result: '',
    satisfied: true, carriedOut: true,
    // a dispatch goes to the first actor proposed; a whistle's departments are ticked by hand
    targets: action === 'dispatch' && rule.proposed.length ? [key(rule.proposed[0])] : [],
  };
}

const key = (node) => `${node.label}:${node.key}`;

// The input object for `actOnDispute`, from the form's values: only what the action takes.
function input(id, flow, open, rule, v) {
  const a = open.action;
  const takes = (i) => rule.inputs.includes(i);
  const out = { disputeId: id, action: a.toUpperCase(), expectedVersion: flow.version, idempotencyKey: open.key };
  if (v.reason.trim()) out.reason = v.reason.trim();
  if (targeted(a)) out.targets = v.targets;
  if (takes('URGENT') && v.urgent) out.urgent = true;
  if (takes('TOUGH') && v.tough) out.tough = true;
  if (takes('DAYS') && v.days !== '') out.days = Number(v.days);
  if (takes('OUTCOME')) out.outcome = v.outcome;
  if (takes('SETTLED_LEVEL') && v.settledLevel) out.settledLevel = v.settledLevel;
  if (takes('RATING')) out.rating = Number(v.rating);
  if (takes('CAUSE')) out.cause = v.cause;
  if (takes('REQUEST') && v.request) out.request = Number(v.request);
  if (takes('RESULT') && v.result.trim()) out.result = v.result.trim();
  if (takes('SATISFIED')) out.satisfied = v.satisfied;
  if (takes('CARRIED_OUT')) out.carriedOut = v.carriedOut;
  return out;
}

// An action that names its targets: from those the API proposes, or (rating a response) from
// the departments a whistle summoned. An escalation goes to the rung the rules give (shown).
function targeted(action) {
  return ['dispatch', 'whistle', 'order', 'rate_response'].includes(action);
}

// The API's field at fault, as the form's field key.
function fieldOf(error) {
  const f = (error.field || '').replace(/_([a-z])/g, (_, c) => c.toUpperCase());
  return f || '_';
}

function ActionForm({ id, flow, rule, open, onCancel, onDone, onStale }) {
  const a = open.action;
  const [v, setV] = useState(() => blank(a, flow, rule));
  const [errors, setErrors] = useState({});
  const [sending, setSending] = useState(false);
  const takes = (i) => rule.inputs.includes(i);
  const needsTargets = targeted(a) && a !== 'rate_response';
  const set = (key) => (e) => setV({ ...v, [key]: e.target.type === 'checkbox' ? e.target.checked : e.target.value });
  const fid = (key) => `act-${key}`;
  const formRef = useRef(null);
  useEffect(() => formRef.current?.querySelector('input, select, textarea')?.focus(), []); // keyboards go on here

  const send = async (event) => {
    event.preventDefault();
    const found = {};
    if (rule.reasonRequired && !v.reason.trim()) found.reason = '请填写理由';
    if (needsTargets && !v.targets.length) found.targets = a === 'whistle' ? '请至少选一个部门' : '请选择派往的单位';
    if (takes('DAYS') && !(Number(v.days) >= 1)) found.days = '延期天数至少 1 天';
    if (takes('SETTLED_LEVEL') && v.outcome === 'SETTLED' && !v.settledLevel) found.settledLevel = '化解的须选化解层级';
    setErrors(found);
    if (Object.keys(found).length) {
      document.getElementById(fid(Object.keys(found)[0]))?.focus();
      return;
    }
    setSending(true);
    try {
      const { actOnDispute: p } = await gql(ACT, { input: input(id, flow, open, rule, v) });
      if (!p.userErrors.length) {
        onDone(`已${name(ACTION, a)}（第 ${p.event.version} 版，${name(STATE, p.event.toState)}）${p.replayed ? '；此前已提交过，未重复办理' : ''}`);
        return;
      }
      if (p.userErrors.some((e) => e.code === 'STALE_VERSION')) {
        onStale(`${PROBLEM.STALE_VERSION}。（您看到的是第 ${flow.version} 版）`);
        return;
      }
      const byField = {};
      for (const e of p.userErrors) {
        const k = fieldOf(e);
        byField[k] = [byField[k], `${name(PROBLEM, e.code)}：${e.message}`].filter(Boolean).join('；');
      }
      setErrors(byField);
    } catch (error) {
      setErrors({ _: error instanceof ApiError ? error.message : String(error) });
    } finally {
      setSending(false);
    }
  };

  const err = (key) =>
    errors[key] ? html`<span class="error" id=${fid(key) + '-error'}>${errors[key]}</span>` : '';
  const aria = (key) => ({ 'aria-invalid': errors[key] ? 'true' : 'false', 'aria-describedby': errors[key] ? fid(key) + '-error' : undefined });
  const unplaced = Object.keys(errors).filter((k) => !['reason', 'targets', 'days', 'outcome', 'settledLevel', 'rating', 'cause', 'request'].includes(k));

  return html`<form class="act-form" ref=${formRef} aria-label=${name(ACTION, a)} onSubmit=${send} novalidate>
    <h3>${name(ACTION, a)}</h3>
    ${unplaced.length ? html`<p class="problem" role="alert">${unplaced.map((k) => errors[k]).join('；')}</p>` : ''}
    ${rule.approvalBy.length
      ? html`<p class="sub">须经${rule.approvalBy.map((r) => name(WORKFLOW_ROLE, r)).join('或')}批准后生效${a === 'bounce' ? '（派单错误的退单除外）' : ''}。</p>`
      : ''}
    ${a === 'escalate' && rule.proposed.length
      ? html`<p class="sub">上报至 ${rule.proposed.map(ref).join('、')}</p>`
      : ''}
    ${needsTargets
      ? html`<div class="field">
          <${Targets} action=${a} proposed=${rule.proposed} v=${v} setV=${setV} />
          ${err('targets')}
        </div>`
      : ''}
    ${takes('URGENT')
      ? html`<label class="check"><input type="checkbox" checked=${v.urgent} onChange=${set('urgent')} /> 急办（须限时到场）</label>`
      : ''}
    ${takes('TOUGH')
      ? html`<label class="check"><input type="checkbox" checked=${v.tough} onChange=${set('tough')} /> 疑难问题（到场时限放宽）</label>`
      : ''}
    ${a === 'rate_response'
      ? html`<div class="field"><label for=${fid('targets')}>评价的部门</label>
          <select id=${fid('targets')} value=${v.targets[0] || ''} onChange=${(e) => setV({ ...v, targets: e.target.value ? [e.target.value] : [] })} ...${aria('targets')}>
            <option value="">请选择</option>
            ${summoned(flow).map((t) => html`<option value=${`${t.label}:${t.key}`}>${ref(t)}</option>`)}
          </select>${err('targets')}</div>`
      : ''}
    ${takes('REQUEST')
      ? html`<div class="field"><label for=${fid('request')}>待审批的申请</label>
          <select id=${fid('request')} value=${v.request} onChange=${set('request')} ...${aria('request')}>
            ${flow.pending.map((p) => html`<option value=${String(p.version)}>${name(ACTION, p.action)} · ${ref(p.by)} · ${when(p.at)}</option>`)}
          </select>${err('request')}</div>`
      : ''}
    ${takes('DAYS')
      ? html`<div class="field"><label for=${fid('days')}>延期天数</label>
          <input id=${fid('days')} type="number" min="1" value=${v.days} onInput=${set('days')} ...${aria('days')} />${err('days')}</div>`
      : ''}
    ${takes('CAUSE')
      ? html`<div class="field"><label for=${fid('cause')}>退单原因</label>
          <select id=${fid('cause')} value=${v.cause} onChange=${set('cause')} ...${aria('cause')}>
            <option value="dispatch_error">派单错误（无需审批）</option>
            <option value="not_responsible">不属本单位职责（须审批）</option>
          </select>${err('cause')}</div>`
      : ''}
    ${takes('OUTCOME')
      ? html`<div class="row">
          <div class="field"><label for=${fid('outcome')}>结果</label>
            <select id=${fid('outcome')} value=${v.outcome} onChange=${set('outcome')} ...${aria('outcome')}>
              ${Object.entries(OUTCOME).map(([k, t]) => html`<option value=${k}>${t}</option>`)}
            </select>${err('outcome')}</div>
          <div class="field"><label for=${fid('settledLevel')}>化解层级</label>
            <select id=${fid('settledLevel')} value=${v.settledLevel} onChange=${set('settledLevel')} ...${aria('settledLevel')}>
              <option value="">请选择</option>
              ${Object.entries(SETTLED).map(([k, t]) => html`<option value=${k}>${t}</option>`)}
            </select>${err('settledLevel')}</div>
        </div>`
      : ''}
    ${takes('RATING')
      ? html`<div class="field"><label for=${fid('rating')}>评分（1–5）</label>
          <select id=${fid('rating')} value=${v.rating} onChange=${set('rating')} ...${aria('rating')}>
            ${[5, 4, 3, 2, 1].map((n) => html`<option value=${String(n)}>${n}</option>`)}
          </select>${err('rating')}</div>`
      : ''}
    ${takes('RESULT')
      ? html`<div class="field"><label for=${fid('result')}>办理结果</label>
          <input id=${fid('result')} value=${v.result} onInput=${set('result')} maxlength="200" /></div>`
      : ''}
    ${takes('SATISFIED')
      ? html`<label class="check"><input type="checkbox" checked=${v.satisfied} onChange=${set('satisfied')} /> 当事人满意</label>`
      : ''}
    ${takes('CARRIED_OUT')
      ? html`<label class="check"><input type="checkbox" checked=${v.carriedOut} onChange=${set('carriedOut')} /> 协议已履行</label>`
      : ''}
    <div class="field"><label for=${fid('reason')}>${rule.reasonRequired ? '理由（必填）' : '说明（可不填）'}</label>
      <textarea id=${fid('reason')} rows="2" maxlength="500" value=${v.reason} onInput=${set('reason')} ...${aria('reason')}></textarea>
      ${err('reason')}</div>
    <div class="actions">
      <button type="submit" class="primary" disabled=${sending}>确认${name(ACTION, a)}</button>
      <button type="button" onClick=${onCancel}>取消</button>
    </div>
  </form>`;
}

// The departments a whistle summoned, from the log.
function summoned(flow) {
  const seen = new Map();
  for (const e of flow.log) {
    if (e.action === 'whistle') for (const t of e.targets) seen.set(`${t.label}:${t.key}`, t);
  }
  return [...seen.values()];
}

// The targets the API proposes: one for a dispatch (the first chosen at first) or an order,
// the departments for a whistle (ticked by hand: whom to summon is the holder's call).
function Targets({ action, proposed, v, setV }) {
  if (!proposed.length) return html`<p class="empty">没有可${name(ACTION, action)}的单位。</p>`;
  if (action !== 'whistle') {
    return html`<label for="act-targets">${action === 'dispatch' ? '派往（按分流建议）' : name(ACTION, action) + '至'}</label>
      <select id="act-targets" value=${v.targets[0] || ''} onChange=${(e) => setV({ ...v, targets: [e.target.value] })}>
        ${action === 'dispatch' ? '' : html`<option value="">请选择</option>`}
        ${proposed.map((n) => html`<option value=${key(n)}>${n.name}（${name(LABEL, n.label)}）</option>`)}
      </select>`;
  }
  const toggle = (value) => (e) =>
    setV({ ...v, targets: e.target.checked ? [...v.targets, value] : v.targets.filter((t) => t !== value) });
  return html`<fieldset id="act-targets" tabindex="-1"><legend>吹哨的部门</legend>
    ${proposed.map((n) => html`<label class="check" key=${key(n)}>
      <input type="checkbox" checked=${v.targets.includes(key(n))} onChange=${toggle(key(n))} /> ${n.name}</label>`)}
  </fieldset>`;
}
