// The three headline answers for a dispute, each with its rule and graph path in Chinese:
// who is responsible (referral), which expert can help (expert pool, and who must not and
// why), where it goes if not settled here (escalation ladder with post-holders).

import { useState } from 'preact/hooks';
import { gql } from './api.js';
import { Loaded, PathChain, html, useLoad } from './ui.js';
import { BODY_ROLE, LEVEL, PART, POST, RULE, SCORE_PART, name } from './zh.js';

export const PATH = `fragment P on GraphPath { nodes { label key name } rels { type forward detail } }`;
const CONTACT = `person { key name } post mobile since until`;

// What a referral answer is read with (the 登记 form asks it for a described dispute).
export const REFERRAL_FIELDS = `group warning reportedOn asOf
    steps { order part level actor { label key name } contacts { ${CONTACT} }
            limit { amount unit } due dueAt rule reason path { ...P } }`;

const REFERRAL = `query Referral($id: ID!, $asOf: Date) {
  referral(disputeId: $id, asOf: $asOf) { ${REFERRAL_FIELDS} }
} ${PATH}`;

const EXPERTS = `query Experts($id: ID!, $asOf: Date) {
  expertPool(disputeId: $id, asOf: $asOf) {
    domains asOf
    ranked { rank expert { key name } score parts { name value weight detail } domains
             pools { key name } contact { post mobile } }
    excluded { expert { key name } rule reason path { ...P } }
  }
} ${PATH}`;

const LADDER = `query Ladder($id: ID!, $asOf: Date) {
  escalationPath(disputeId: $id, asOf: $asOf) {
    asOf
    ladder { order level place { label key name } limit { amount unit } due dueAt rule
             bodies { node { label key name } role kind holders { ${CONTACT} } } }
    partyLine { order org { key name } kind level leaders { ${CONTACT} } rule }
  }
}`;

const UNIT = { HOURS: '小时', WORKING_DAYS: '个工作日', DAYS: '天' };

// 3 天, 15 个工作日, 1 小时.
function limitText(limit) {
  return `${limit.amount} ${UNIT[limit.unit]}`;
}

// A day limit's due day; an hour limit's due instant to the minute as the API gives it (China
// time); nothing when only the report day is known.
function dueText(step) {
  return step.dueAt ? step.dueAt.slice(0, 16).replace('T', ' ') : step.due || '';
}

function Contacts({ contacts }) {
  if (!contacts.length) return html`<p class="sub">（当日无在任人员）</p>`;
  return html`<ul class="contacts">
    ${contacts.map(
      (c) => html`<li key=${c.person.key + c.post}>
        <span class="post">${name(POST, c.post)}</span> <span class="person">${c.person.name}</span>
        <span class="mobile">${c.mobile || ''}</span>
      </li>`,
    )}
  </ul>`;
}

function Why({ rule, path }) {
  return html`<details class="why">
    <summary>依据：${name(RULE, rule)}</summary>
    <${PathChain} path=${path} />
  </details>`;
}

export function Referral({ id, date }) {
  const state = useLoad(() => gql(REFERRAL, { id, asOf: date }), [id, date]);
  return html`<${Loaded} state=${state} what="分流建议">
    ${({ referral: r }) => html`<${ReferralAnswer} r=${r} />`}
  </${Loaded}>`;
}

// A referral's steps: for a dispute in the graph, or one described on the 登记 form.
export function ReferralAnswer({ r }) {
  return html`<div class="referral">
      <p class="sub">按 ${r.asOf} 在任人员；时限自登记日 ${r.reportedOn} 起算${r.group ? '；群体性纠纷，由县中心会商' : ''}。</p>
      <ol class="steps">
        ${r.steps.map(
          (s) => html`<li key=${s.order}>
            <h3><span class="tag">${name(PART, s.part)}</span> ${s.actor.name}
              <span class="sub">${name(LEVEL, s.level)}</span></h3>
            <p class="limit">${s.limit ? `时限 ${limitText(s.limit)}，${dueText(s)} 前` : '不设时限'}</p>
            <${Contacts} contacts=${s.contacts} />
            <${Why} rule=${s.rule} path=${s.path} />
          </li>`,
        )}
      </ol>
    </div>`;
}


function exclusion(x) {
  if (x.rule !== 'conflict-of-interest') return name(RULE, x.rule);
  const hops = x.path.rels.length - 1; // the last tie is the party's PARTY_TO
  return hops === 0 ? '本人是当事人' : `与当事人相距 ${hops} 步关系`;
}

export function Experts({ id, date }) {
  const state = useLoad(() => gql(EXPERTS, { id, asOf: date }), [id, date]);
  const [all, setAll] = useState(false);
  return html`<${Loaded} state=${state} what="专家">
    ${({ expertPool: e }) => {
      const excluded = all ? e.excluded : e.excluded.slice(0, 10);
      return html`<div class="experts">
        <h3>推荐（${e.ranked.length}）</h3>
        <ol class="ranked">
          ${e.ranked.map(
            (x) => html`<li key=${x.expert.key}>
              <p><strong>${x.expert.name}</strong> <span class="post">${x.contact.post}</span>
                <span class="mobile">${x.contact.mobile || ''}</span>
                <span class="score" title="综合评分">${x.score.toFixed(2)}</span></p>
              <p class="sub">${x.pools.map((p) => p.name).join('、')}</p>
              <p class="parts">${x.parts.map(
                (p) => html`<span class="part" title=${p.detail}>${name(SCORE_PART, p.name)} ${p.value.toFixed(2)}×${p.weight}</span>`,
              )}</p>
            </li>`,
          )}
        </ol>
        <h3>回避（${e.excluded.length}）</h3>
        <ul class="excluded">
          ${excluded.map(
            (x) => html`<li key=${x.expert.key}>
              <p><strong>${x.expert.name}</strong> <span class="tag">${name(RULE, x.rule)}</span>
                <span class="sub">${exclusion(x)}</span></p>
              <${PathChain} path=${x.path} />
            </li>`,
          )}
        </ul>
        ${!all && e.excluded.length > excluded.length
          ? html`<button type="button" onClick=${() => setAll(true)}>显示全部 ${e.excluded.length} 位回避专家</button>`
          : ''}
      </div>`;
    }}
  </${Loaded}>`;
}

export function Ladder({ id, date }) {
  const state = useLoad(() => gql(LADDER, { id, asOf: date }), [id, date]);
  return html`<${Loaded} state=${state} what="上报路径">
    ${({ escalationPath: e }) => html`<div class="ladder">
      <p class="sub">按 ${e.asOf} 在任人员。</p>
      <ol class="rungs">
        ${e.ladder.map(
          (r) => html`<li key=${r.order}>
            <h3>${name(LEVEL, r.level)} · ${r.place.name}
              <span class="sub">${r.limit ? `${limitText(r.limit)}，${dueText(r)}` : ''}</span></h3>
            <ul class="bodies">
              ${r.bodies.map(
                (b) => html`<li key=${b.node.key + b.role}>
                  <p><span class="tag">${name(BODY_ROLE, b.role)}</span> ${b.node.name}</p>
                  <${Contacts} contacts=${b.holders} />
                </li>`,
              )}
            </ul>
          </li>`,
        )}
      </ol>
      <h3>党组织线</h3>
      <ol class="party-line">
        ${e.partyLine.map(
          (p) => html`<li key=${p.org.key}>
            <p>${p.org.name} <span class="sub">${name(LEVEL, p.level)}</span></p>
            <${Contacts} contacts=${p.leaders} />
          </li>`,
        )}
      </ol>
    </div>`}
  </${Loaded}>`;
}
