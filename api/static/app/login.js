// 登录: the caller's token, sent once to POST /session, then kept by the browser in an
// HttpOnly session cookie (api/session.py); the page never stores it.

import { useState } from 'preact/hooks';
import { signIn } from './api.js';
import { html } from './ui.js';

export function Login({ onSignedIn, onViewer, viewerAllowed, reason }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event) => {
    event.preventDefault();
    if (!token.trim()) {
      setError('请输入令牌');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await signIn(token.trim());
      setToken('');
      onSignedIn();
    } catch (e) {
      setError(e.message);
    } finally {
      setBusy(false);
    }
  };
  return html`<section class="login card" aria-labelledby="login-title">
    <h1 id="login-title" tabindex="-1">登录调解工作台</h1>
    ${reason ? html`<p class="problem" role="alert">${reason}</p>` : ''}
    <form onSubmit=${submit} novalidate>
      <div class=${'field' + (error ? ' invalid' : '')}>
        <label for="login-token">令牌</label>
        <input id="login-token" type="password" value=${token} autocomplete="off" spellcheck="false"
          aria-describedby=${error ? 'login-error login-hint' : 'login-hint'} aria-invalid=${error ? 'true' : 'false'}
          onInput=${(e) => setToken(e.target.value)} />
        <span class="hint" id="login-hint">由管理员用 <code>govgraph token create --role mediator --scope 辖区代码</code> 签发。
          令牌只保存在本次浏览器会话中，关闭浏览器即失效。</span>
        ${error ? html`<span class="error" id="login-error" role="alert">${error}</span>` : ''}
      </div>
      <button type="submit" class="primary" disabled=${busy}>${busy ? '正在登录…' : '登录'}</button>
    </form>
    ${viewerAllowed
      ? html`<p><button type="button" class="link" onClick=${onViewer}>不登录，以查看者身份浏览</button>
          <span class="hint">（个人信息一律打码）</span></p>`
      : ''}
  </section>`;
}
