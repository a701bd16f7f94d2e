// 登记: the form to register a dispute or an event — place chosen by name from the division
// tree, category by its Chinese name, parties entered — checked as the loaders check, with a
// preview of who would be responsible (referral of the described dispute) and which experts
// fit. 提交登记 sends the workflow's `reportDispute` and opens the new dispute; the API's
// refusals are shown under the fields they name.

import { useState } from 'preact/hooks';
import { ApiError, gql, newKey } from './api.js';
import { idNumberProblem, mobileProblem } from './checks.js';
import { PATH, REFERRAL_FIELDS, ReferralAnswer } from './headline.js';
import { PlacePicker } from './place.js';
import { Loaded, Problem, html, useLoad } from './ui.js';
import { CHANNEL, PROBLEM, SIDE, WARNING, name } from './zh.js';

const DOMAINS = `{ domains(first: 100) { items { code name } } }`;
const ITEMS = `query ($domain: String!) {
  listItems(domain: $domain, first: 100) { items { id name itemClass timeLimitDays } }
}`;
const PREVIEW = `query Preview($d: DisputeDescription!, $place: String!, $asOf: Date, $domains: [String!]) {
  referral(description: $d, asOf: $asOf) { ${REFERRAL_FIELDS} }
  expertPool(domains: $domains, place: $place, asOf: $asOf, limit: 5) {
    ranked { rank expert { name } contact { post mobile } score }
  }
} ${PATH}`;

const REPORT = `mutation Report($input: ReportDisputeInput!) {
  reportDispute(input: $input) { replayed dispute { id } userErrors { code message field } }
}`;
const RECEIVERS = ['Grid', 'Department', 'MediationOrg', 'Center']; // workflow.context.HOLDERS

// The form's field for a field the API names (parties.0.id_number → party-0-id).
function formField(field) {
  const party = (field || '').match(/^parties\.(\d+)\.(\w+)$/);
  if (party) return `party-${party[1]}-${{ id_number: 'id', name: 'name', mobile: 'mobile' }[party[2]] || 'name'}`;
  const top = { title: 'report-title', place: 'report-place', category: 'report-domain', list_item: 'report-item',
    channel: 'report-channel', parties: 'report-parties' };
  return top[field] || 'report-submit';
}

const MAX_TEXT = 200; // graph/schema.py: a text property's max_length

function newParty(side) {
  return { side, type: 'person', name: '', idNumber: '', mobile: '' };
}

// Every problem of the form, by field id, in Chinese.
export function problems(form) {
  const found = {};
  if (!form.title.trim()) found['report-title'] = '请填写标题';
  else if (form.title.length > MAX_TEXT) found['report-title'] = `标题不能超过 ${MAX_TEXT} 字`;
  if (!form.place || form.place.kind !== 'grid') found['report-place'] = '请选到网格（或微网格）';
  if (!form.domain) found['report-domain'] = '请选择类别';
  if (form.kind === 'dispute') {
    if (!form.parties.length) found['report-parties'] = '纠纷至少要有一方当事人';
    form.parties.forEach((p, i) => {
      if (!p.name.trim()) found[`party-${i}-name`] = '请填写姓名或单位名称';
      else if (p.name.length > MAX_TEXT) found[`party-${i}-name`] = `不能超过 ${MAX_TEXT} 字`;
      if (p.type === 'person' && p.idNumber.trim()) {
        const wrong = idNumberProblem(p.idNumber);
        if (wrong) found[`party-${i}-id`] = wrong;
      }
      if (p.type === 'person' && p.mobile.trim()) {
        const wrong = mobileProblem(p.mobile);
        if (wrong) found[`party-${i}-mobile`] = wrong;
      }
    });
  }
  return found;
}

function Field({ id, label, error, children, hint }) {
  return html`<div class=${'field' + (error ? ' invalid' : '')}>
    <label for=${id}>${label}</label>
    ${children}
    ${hint ? html`<span class="hint" id=${id + '-hint'}>${hint}</span>` : ''}
    ${error ? html`<span class="error" id=${id + '-error'}>${error}</span>` : ''}
  </div>`;
}

function described(id, errors) {
  return { 'aria-invalid': errors[id] ? 'true' : 'false', 'aria-describedby': errors[id] ? id + '-error' : undefined };
}

export function Report({ me, date }) {
  const [form, setForm] = useState({
    kind: 'dispute', title: '', place: null, domain: '', listItem: '', channel: 'VISIT',
    reportedOn: date, warning: '', parties: [newParty('APPLICANT'), newParty('RESPONDENT')],
  });
  const [errors, setErrors] = useState({});
  const [preview, setPreview] = useState(null);
  const [key, setKey] = useState(newKey); // one report, however often 提交登记 is pressed
  const [sending, setSending] = useState(false);
  const domains = useLoad(() => gql(DOMAINS), []);
  const items = useLoad(
    () => (form.domain ? gql(ITEMS, { domain: form.domain }) : Promise.resolve(null)),
    [form.domain],
  );
  const set = (key) => (e) => setForm({ ...form, [key]: e.target.value });
  const setParty = (i, key) => (e) =>
    setForm({ ...form, parties: form.parties.map((p, j) => (j === i ? { ...p, [key]: e.target.value } : p)) });

  const check = () => {
    const found = problems(form);
    setErrors(found);
    const first = Object.keys(found)[0];
    if (first) document.getElementById(first)?.focus();
    return !first;
  };
  const showPreview = async () => {
    if (!check()) return;
    setPreview({ loading: true });
    const d = {
      place: form.place.id,
      category: form.domain,
      listItem: form.listItem || null,
      parties: form.kind === 'dispute' ? form.parties.length : 1,
      reportedOn: form.reportedOn || null,
      warning: form.warning || null,
    };
    try {
      const data = await gql(PREVIEW, { d, place: d.place, asOf: date, domains: [form.domain] });
      setPreview({ data });
    } catch (error) {
      setPreview({ error: error instanceof ApiError ? error : new ApiError(String(error)) });
    }
  };

  // 提交登记: the workflow's report, received by the caller's own unit when it may hold a
  // dispute (a center, a grid), else by the place's grid.
  const submit = async () => {
    if (!check()) return;
    if (form.kind === 'dispute' && form.parties.some((p) => p.type !== 'person')) {
      setErrors({ 'report-parties': '登记时单位当事人暂不能新建，请先登记个人当事人' });
      return;
    }
    const receiver = me.actsFor && RECEIVERS.includes(me.actsFor.label) ? `${me.actsFor.label}:${me.actsFor.key}` : null;
    const input = {
      idempotencyKey: key,
      kind: form.kind === 'event' ? 'EVENT' : 'DISPUTE',
      title: form.title.trim(),
      place: form.place.id,
      channel: form.channel,
      category: form.domain,
      listItem: form.listItem || null,
      receiver,
      newParties: form.kind === 'dispute'
        ? form.parties.map((p) => ({ name: p.name.trim(), idNumber: p.idNumber.trim() || null, mobile: p.mobile.trim() || null }))
        : [],
    };
    setSending(true);
    try {
      const { reportDispute: r } = await gql(REPORT, { input });
      if (r.userErrors.length) {
        const found = {};
        for (const e of r.userErrors) {
          const at = formField(e.field);
          found[at] = [found[at], `${name(PROBLEM, e.code)}：${e.message}`].filter(Boolean).join('；');
        }
        setErrors(found);
        setKey(newKey());
        return;
      }
      location.hash = '#/dispute/' + r.dispute.id;
    } catch (error) {
      setErrors({ 'report-submit': error instanceof ApiError ? error.message : String(error) });
    } finally {
      setSending(false);
    }
  };

  const count = Object.keys(errors).length;
  return html`<section aria-labelledby="report-title-h">
    <h1 id="report-title-h" tabindex="-1">登记</h1>
    ${count ? html`<div class="problem" role="alert">表单有 ${count} 处需要修改，见各项下方的说明。</div>` : ''}
    <form class="report card" novalidate onSubmit=${(e) => { e.preventDefault(); showPreview(); }}>
      <fieldset class="kind">
        <legend>类型</legend>
        <label><input type="radio" name="kind" value="dispute" checked=${form.kind === 'dispute'} onChange=${set('kind')} /> 矛盾纠纷</label>
        <label><input type="radio" name="kind" value="event" checked=${form.kind === 'event'} onChange=${set('kind')} /> 事件（部件/事件）</label>
      </fieldset>
      <${Field} id="report-title" label="标题" error=${errors['report-title']}>
        <input id="report-title" value=${form.title} onInput=${set('title')} maxlength=${MAX_TEXT} ...${described('report-title', errors)} />
      </${Field}>
      <div id="report-place" tabindex="-1" class=${errors['report-place'] ? 'invalid' : ''}>
        <${PlacePicker} root=${me.place ? { kind: 'unit', ...me.place } : null} toGrid=${true}
          idPrefix="report-place" legend="发生地点" blank="请选择" onChange=${(p) => setForm({ ...form, place: p })} />
        ${errors['report-place'] ? html`<span class="error" id="report-place-error">${errors['report-place']}</span>` : ''}
      </div>
      <div class="row">
        <${Field} id="report-domain" label="类别" error=${errors['report-domain']}>
          <${Loaded} state=${domains} what="类别">
            ${(data) => html`<select id="report-domain" value=${form.domain}
                onChange=${(e) => setForm({ ...form, domain: e.target.value, listItem: '' })} ...${described('report-domain', errors)}>
              <option value="">请选择</option>
              ${data.domains.items.map((d) => html`<option value=${d.code}>${d.name}</option>`)}
            </select>`}
          </${Loaded}>
        </${Field}>
        <${Field} id="report-item" label="事项清单" error=${errors['report-item']}>
          <select id="report-item" value=${form.listItem} onChange=${set('listItem')} disabled=${!items.data}>
            <option value="">${form.domain ? '按类别自动' : '先选类别'}</option>
            ${(items.data?.listItems.items || []).map(
              (x) => html`<option value=${x.id}>${x.name}（${x.timeLimitDays} 天）</option>`,
            )}
          </select>
        </${Field}>
      </div>
      <div class="row">
        <${Field} id="report-channel" label="来源渠道" error=${errors['report-channel']}>
          <select id="report-channel" value=${form.channel} onChange=${set('channel')}>
            ${Object.entries(CHANNEL).map(([k, v]) => html`<option value=${k}>${v}</option>`)}
          </select>
        </${Field}>
        <${Field} id="report-date" label="登记日期">
          <input id="report-date" type="date" value=${form.reportedOn} onInput=${set('reportedOn')} />
        </${Field}>
        ${form.kind === 'dispute'
          ? html`<${Field} id="report-warning" label="风险" hint="不选则按当事方人数分级">
              <select id="report-warning" value=${form.warning} onChange=${set('warning')} aria-describedby="report-warning-hint">
                <option value="">自动</option>
                ${Object.entries(WARNING).map(([k, v]) => html`<option value=${k}>${v}色</option>`)}
              </select>
            </${Field}>`
          : ''}
      </div>
      ${form.kind === 'dispute' ? html`<${Parties} form=${form} setForm=${setForm} setParty=${setParty} errors=${errors} />` : ''}
      <div class="actions">
        <button type="submit" class="primary">查看分流建议</button>
        <button type="button" id="report-submit" onClick=${submit} disabled=${sending || !me.workflowRole}
          aria-describedby="report-submit-note">提交登记</button>
        <span class="note" id="report-submit-note">${me.workflowRole
          ? '提交后按当前时间登记，由' + (me.actsFor?.name || '发生地网格') + '受理；风险颜色由系统按当事方人数和重复来访分级。'
          : '您的令牌没有关联到人员和岗位，只能预览，不能提交登记。'}</span>
        ${errors['report-submit'] ? html`<span class="error" role="alert">${errors['report-submit']}</span>` : ''}
      </div>
    </form>
    ${preview ? html`<${Preview} preview=${preview} />` : ''}
  </section>`;
}

function Parties({ form, setForm, setParty, errors }) {
  const remove = (i) => setForm({ ...form, parties: form.parties.filter((_, j) => j !== i) });
  return html`<fieldset class="parties-form" id="report-parties" tabindex="-1">
    <legend>当事人</legend>
    ${errors['report-parties'] ? html`<span class="error">${errors['report-parties']}</span>` : ''}
    ${form.parties.map(
      (p, i) => html`<fieldset class="party-row" key=${i}>
        <legend>第 ${i + 1} 方</legend>
        <${Field} id=${`party-${i}-side`} label="身份">
          <select id=${`party-${i}-side`} value=${p.side} onChange=${setParty(i, 'side')}>
            ${Object.entries(SIDE).map(([k, v]) => html`<option value=${k}>${v}</option>`)}
          </select>
        </${Field}>
        <${Field} id=${`party-${i}-type`} label="类型">
          <select id=${`party-${i}-type`} value=${p.type} onChange=${setParty(i, 'type')}>
            <option value="person">个人</option>
            <option value="organisation">单位</option>
          </select>
        </${Field}>
        <${Field} id=${`party-${i}-name`} label=${p.type === 'person' ? '姓名' : '单位名称'} error=${errors[`party-${i}-name`]}>
          <input id=${`party-${i}-name`} value=${p.name} onInput=${setParty(i, 'name')} autocomplete="off"
            ...${described(`party-${i}-name`, errors)} />
        </${Field}>
        ${p.type === 'person'
          ? html`<${Field} id=${`party-${i}-id`} label="身份证号" error=${errors[`party-${i}-id`]}>
                <input id=${`party-${i}-id`} value=${p.idNumber} onInput=${setParty(i, 'idNumber')} inputmode="text"
                  maxlength="18" autocomplete="off" ...${described(`party-${i}-id`, errors)} />
              </${Field}>
              <${Field} id=${`party-${i}-mobile`} label="手机号" error=${errors[`party-${i}-mobile`]}>
                <input id=${`party-${i}-mobile`} value=${p.mobile} onInput=${setParty(i, 'mobile')} inputmode="tel"
                  maxlength="11" autocomplete="off" ...${described(`party-${i}-mobile`, errors)} />
              </${Field}>`
          : ''}
        <button type="button" class="remove" onClick=${() => remove(i)} aria-label=${`删除第 ${i + 1} 方`}>删除</button>
      </fieldset>`,
    )}
    <button type="button" onClick=${() => setForm({ ...form, parties: [...form.parties, newParty('RESPONDENT')] })}>
      添加当事人</button>
  </fieldset>`;
}

function Preview({ preview }) {
  if (preview.loading) return html`<p class="loading" role="status">正在计算分流建议…</p>`;
  if (preview.error) return html`<${Problem} error=${preview.error} />`;
  const { referral, expertPool } = preview.data;
  return html`<section class="card" aria-labelledby="preview-title">
    <h2 id="preview-title" tabindex="-1">分流建议（预览）</h2>
    <${ReferralAnswer} r=${referral} />
    <h3>可请的专家</h3>
    <ol class="ranked">
      ${expertPool.ranked.map(
        (x) => html`<li key=${x.rank}><strong>${x.expert.name}</strong> <span class="post">${x.contact.post}</span>
          <span class="mobile">${x.contact.mobile || ''}</span> <span class="score">${x.score.toFixed(2)}</span></li>`,
      )}
    </ol>
  </section>`;
}
