// 调解工作台: sign-in, the header (who is signed in, their role and jurisdiction, the day the
// page shows), and the screens by the address's hash: #/queue, #/dispute/<id>, #/report,
// #/dashboard.

import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, SignedOut, gql, signOut, watchSession, whoAmI } from './api.js';
import { daysBetween, isDate, today } from './clock.js';
import { Dashboard } from './dashboard.js';
import { Dispute } from './dispute.js';
import { Login } from './login.js';
import { Queue } from './queue.js';
import { Report } from './report.js';
import { Problem, html, link } from './ui.js';
import { ROLE, WORKFLOW_ROLE, name } from './zh.js';

// How the page was entered this browser session: 'token' or 'viewer' (no token). Only this
// word is kept (sessionStorage); the token lives in the HttpOnly cookie alone.
const HOW = 'govgraph.signed-in';
const DAY_KEY = 'govgraph.date';

function route() {
  const path = decodeURIComponent(location.hash.replace(/^#/, '')) || '/queue';
  const dispute = path.match(/^\/dispute\/(.+)$/);
  if (dispute) return { screen: 'dispute', id: dispute[1] };
  const screen = path.slice(1);
  return { screen: ['queue', 'report', 'dashboard'].includes(screen) ? screen : 'queue' };
}

function useRoute() {
  const [current, setCurrent] = useState(route());
  useEffect(() => {
    const changed = () => setCurrent(route());
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return current;
}

// Move focus to the new screen's heading, so keyboards and screen readers follow the change;
// a screen that reads its data first gets its heading when the data comes (up to 5 s).
function useFocusHeading(key) {
  useEffect(() => {
    let timer;
    let tries = 0;
    const focus = () => {
      const heading = document.querySelector('main h1');
      if (heading) heading.focus();
      else if (tries++ < 100) timer = setTimeout(focus, 50);
    };
    timer = setTimeout(focus, 0);
    return () => clearTimeout(timer);
  }, [key]);
}

// What the caller's role sees masked (api/privacy.py), said beside who they are.
const MASKED = {
  viewer: '（个人信息打码）',
  researcher: '（个人信息打码）',
  mediator: '（辖区外个人信息打码）',
};

// 调解员 · 姚庄镇 · 330421111, and for a token that acts in the workflow who acts for which
// unit in which role: 沈某某 · 姚庄镇矛调中心 · 中心值班.
function whoText(me) {
  const role = name(ROLE, me.role);
  const acting = me.person
    ? [me.person.name, me.actsFor?.name, name(WORKFLOW_ROLE, me.workflowRole)].filter(Boolean).join(' · ') + ' — '
    : '';
  if (!me.scope) return acting + role;
  return `${acting}${role} · ${me.place ? me.place.name + ' · ' : ''}${me.scope}`;
}

// The address's hash is the route, so the skip link moves focus itself rather than by #main.
function skipToMain(event) {
  event.preventDefault();
  document.querySelector('main h1')?.focus();
}

function Header({ me, date, setDate, current, onSignOut }) {
  const nav = [
    ['queue', '工作台'],
    ['report', '登记'],
    ['dashboard', '看板'],
  ];
  return html`<header class="top">
    <a class="skip" href="#main" onClick=${skipToMain}>跳到主要内容</a>
    <span class="brand">调解工作台</span>
    <nav aria-label="主导航">
      ${nav.map(
        ([key, text]) => html`<a href=${link('/' + key)} aria-current=${current === key ? 'page' : undefined}>${text}</a>`,
      )}
    </nav>
    <span class="who" title="身份与辖区">${whoText(me)}<span class="sub">${MASKED[me.role] || ''}</span></span>
    <span class="field date">
      <label for="page-date">日期</label>
      <input id="page-date" type="date" value=${date} onChange=${(e) => isDate(e.target.value) && setDate(e.target.value)} />
    </span>
    <button type="button" onClick=${onSignOut}>${me.signedIn ? '退出' : '登录'}</button>
  </header>`;
}

// The graph's newest report day, when it is long before the page's day (a demo of 2021):
// offer to look at the graph as of then.
function Stale({ date, setDate }) {
  const [newest, setNewest] = useState(null);
  useEffect(() => {
    gql('{ disputes(first: 1) { items { reportedOn } } }').then(
      (d) => setNewest(d.disputes.items[0]?.reportedOn || null),
      () => setNewest(null),
    );
  }, []);
  if (!newest || daysBetween(newest, date) < 60) return null;
  return html`<p class="banner" role="note">图中最新的纠纷登记于 ${newest}，早于所选日期 ${date}。
    <button type="button" onClick=${() => setDate(newest)}>按 ${newest} 查看</button></p>`;
}

function App() {
  const [me, setMe] = useState(null);
  const [boot, setBoot] = useState({ phase: 'checking' });
  const [date, setDateState] = useState(sessionStorage.getItem(DAY_KEY) || today());
  const current = useRoute();
  useFocusHeading(me ? current.screen + (current.id || '') : 'login');

  const setDate = (day) => {
    sessionStorage.setItem(DAY_KEY, day);
    setDateState(day);
  };

  // To the login screen, the session cookie dropped (a revoked token would refuse every
  // request, also a viewer's), saying why when `reason` is given.
  const toLogin = async (reason) => {
    watchSession(null);
    sessionStorage.removeItem(HOW);
    setMe(null);
    try {
      await signOut();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
    }
    try {
      await gql('{ me { role } }'); // may the server be read without a token?
      setBoot({ phase: 'login', viewerAllowed: true, reason });
    } catch (error) {
      if (error instanceof SignedOut) setBoot({ phase: 'login', viewerAllowed: false, reason });
      else setBoot({ phase: 'error', error });
    }
  };

  const enter = async (how) => {
    const lost = how === 'token' ? '登录已失效（令牌已撤销或无效），请重新登录' : '本服务器要求先登录';
    try {
      const who = await whoAmI();
      sessionStorage.setItem(HOW, how);
      setMe({ ...who, signedIn: how === 'token' });
      setBoot({ phase: 'in' });
      watchSession(() => toLogin(lost)); // a request refused later: the token was revoked
    } catch (error) {
      if (error instanceof SignedOut) toLogin(lost);
      else setBoot({ phase: 'error', error });
    }
  };

  useEffect(() => {
    const how = sessionStorage.getItem(HOW);
    if (how) enter(how);
    else toLogin(undefined); // not signed in this browser session
  }, []);

  const leave = () => toLogin(undefined);

  if (boot.phase === 'checking') return html`<p class="boot" role="status">正在打开调解工作台…</p>`;
  if (boot.phase === 'error') return html`<main id="main" class="narrow"><h1 tabindex="-1">无法打开</h1><${Problem} error=${boot.error} /></main>`;
  if (boot.phase === 'login' || !me) {
    return html`<main id="main" class="narrow">
      <${Login} reason=${boot.reason} viewerAllowed=${boot.viewerAllowed}
        onSignedIn=${() => enter('token')} onViewer=${() => enter('viewer')} />
    </main>`;
  }
  const screens = {
    queue: () => html`<${Queue} me=${me} date=${date} />`,
    dispute: () => html`<${Dispute} key=${current.id} id=${current.id} me=${me} date=${date} />`,
    report: () => html`<${Report} me=${me} date=${date} />`,
    dashboard: () => html`<${Dashboard} me=${me} date=${date} />`,
  };
  return html`<${Header} me=${me} date=${date} setDate=${setDate} current=${current.screen} onSignOut=${leave} />
    <${Stale} date=${date} setDate=${setDate} />
    <main id="main">${screens[current.screen]()}</main>`;
}

const root = document.getElementById('app');
root.textContent = ''; // the boot message
render(html`<${App} />`, root);
