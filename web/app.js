// The branch upload portal's page (SPEC §9). Plain script, no framework; every value from the
// server or a file goes into the page as text (textContent), never as HTML. config.json says where
// it runs: `mode: local` (telco-kpi serve: a session cookie and a CSRF token) or `mode: aws` (Cognito
// sign-in from cognito.js, tokens in memory only, uploads by presigned PUT, receipts polled).
'use strict';

(() => {
  const TEXT = {
    'zh-CN': {
      title: '省分数据上传', signInTitle: '登录', user: '用户名', password: '密码', signIn: '登录', signOut: '退出',
      uploadTitle: '上传数据文件', dropHint: '将 CSV 或 XLSX 文件拖到这里，或点此选择文件',
      dropNote: '文件名如 sales_JL_20261118.csv；可一次选择多个文件',
      calendarTitle: '本周与上周数据到达情况', refresh: '刷新', historyTitle: '最近的回执',
      legendReceived: '已接收', legendRejected: '被拒绝（未更正）', legendMissing: '缺失', legendUpcoming: '未到期',
      colReceived: '接收时间', colFile: '文件', colStatus: '状态', colRows: '行数', colDownload: '下载',
      province: '省份', signedInAs: (user, province) => `${user} · ${province}`,
      badCredentials: '用户名或密码错误。', tooMany: (s) => `登录失败次数过多，请 ${Math.ceil(s / 60)} 分钟后再试。`,
      expired: '登录已过期，请重新登录。', failed: (m) => `出错了：${m}`, notFound: '不存在，或不属于本省。',
      uploading: '上传中…', checking: '校验中…', tooLarge: '文件太大，无法通过网页上传。',
      wrongType: '不是 CSV 或 XLSX 文件。', otherProvince: '只能上传本省的数据。',
      fileName: '文件名无法识别：', busy: '该日数据正在由另一上传写入，请稍后重试。',
      status: { accepted: '已接受', rejected: '未接受（整个文件退回）', unchanged: '未变化（相同文件已存储）', superseded: '未存储（该日已有更晚的上传）' },
      fields: { type: '类型', province: '省份', day: '日期', month: '月份', rowsRead: '读取行数', rowsAccepted: '接受行数', encoding: '编码', receivedAt: '接收时间', uploadedAt: '上传时间', problemCount: '问题数', warnings: '提示' },
      problems: (n) => `问题（${n}）`, row: '行', column: '列', value: '值', message: '问题与处理办法',
      header: '表头', wholeFile: '文件', more: (n) => `……另有 ${n} 个问题，见文本回执。`,
      downloadTxt: '下载回执（文本）', downloadJson: '下载回执（JSON）',
      types: { sales: '销售日报', revenue: '收入日报', service: '服务日报' },
      weekdays: ['一', '二', '三', '四', '五', '六', '日'], thisWeek: '本周', lastWeek: '上周',
      cell: { received: '已接收', rejected: '被拒绝', missing: '缺失', upcoming: '未到期' },
      noReceipts: '还没有回执。', yes: '是', no: '否',
      newPasswordHint: '首次登录：请设置自己的密码（至少 12 位，含大写、小写字母、数字和符号）。', newPassword: '新密码',
      repeatPassword: '再次输入新密码', setPassword: '设置密码', confirm: '确认', restart: '重新登录',
      mfaSetupHint: '本系统要求两步验证：在手机的身份验证器应用（如 Microsoft Authenticator、Google Authenticator）中添加账号，输入下面的密钥，再填入应用显示的 6 位验证码。',
      mfaSecret: '密钥', mfaLink: '在本机的验证器应用中打开', mfaCode: '验证码（6 位数字）', mfaHint: '请输入身份验证器应用中显示的 6 位验证码。',
      passwordsDiffer: '两次输入的新密码不一致。', wrongCode: '验证码不正确或已过期，请输入应用中当前显示的验证码。',
      challengeExpired: '登录步骤已超时，请重新输入用户名和密码。', locked: '密码错误次数过多，账号暂时被锁定，请稍后再试。',
      throttled: '请求过于频繁，请稍等一分钟再试。', weakPassword: (m) => `新密码不符合要求：${m}`,
      resetRequired: '该账号需要重置密码，请联系管理员。', noProvince: '该账号没有分配到唯一的省份，请联系管理员。',
      network: '网络连接失败', waitingReceipt: '已上传，等待校验回执…',
      receiptTimeout: (s) => `文件已上传，但 ${Math.round(s / 60) || 1} 分钟内未收到回执：校验可能仍在进行，请稍后点“刷新”查看最近的回执；若仍没有，请联系管理员。`,
      uploadFailed: (code) => `上传到存储失败（${code}），请重试。`,
    },
    en: {
      title: 'Branch data upload', signInTitle: 'Sign in', user: 'User name', password: 'Password', signIn: 'Sign in', signOut: 'Sign out',
      uploadTitle: 'Upload extract files', dropHint: 'Drop CSV or XLSX files here, or tap to choose files',
      dropNote: 'Names like sales_JL_20261118.csv; several files at once are fine',
      calendarTitle: 'Extracts received this week and last', refresh: 'Refresh', historyTitle: 'Recent receipts',
      legendReceived: 'received', legendRejected: 'rejected (not corrected)', legendMissing: 'missing', legendUpcoming: 'not due yet',
      colReceived: 'Received', colFile: 'File', colStatus: 'Status', colRows: 'Rows', colDownload: 'Download',
      province: 'Province', signedInAs: (user, province) => `${user} · ${province}`,
      badCredentials: 'The user name or the password is wrong.', tooMany: (s) => `Too many failed sign-ins: try again in ${Math.ceil(s / 60)} min.`,
      expired: 'Your session has ended: please sign in again.', failed: (m) => `Something went wrong: ${m}`, notFound: 'Not found, or not your province’s.',
      uploading: 'Uploading…', checking: 'Checking…', tooLarge: 'The file is too large to upload in the page.',
      wrongType: 'Not a CSV or XLSX file.', otherProvince: 'You can only upload your own province’s data.',
      fileName: 'The file name says no extract: ', busy: 'Another upload is writing that day: try again shortly.',
      status: { accepted: 'accepted', rejected: 'rejected', unchanged: 'unchanged (same file already stored)', superseded: 'not stored (a later upload of this day is stored)' },
      fields: { type: 'Type', province: 'Province', day: 'Day', month: 'Month', rowsRead: 'Rows read', rowsAccepted: 'Rows accepted', encoding: 'Encoding', receivedAt: 'Received', uploadedAt: 'Uploaded', problemCount: 'Problems', warnings: 'Warnings' },
      problems: (n) => `Problems (${n})`, row: 'Row', column: 'Column', value: 'Value', message: 'What is wrong and what to do',
      header: 'header', wholeFile: 'file', more: (n) => `…and ${n} more problems: see the text receipt.`,
      downloadTxt: 'Download receipt (text)', downloadJson: 'Download receipt (JSON)',
      types: { sales: 'Sales', revenue: 'Revenue', service: 'Service' },
      weekdays: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'], thisWeek: 'This week', lastWeek: 'Last week',
      cell: { received: 'received', rejected: 'rejected', missing: 'missing', upcoming: 'not due yet' },
      noReceipts: 'No receipts yet.', yes: 'yes', no: 'no',
      newPasswordHint: 'First sign-in: choose your own password (at least 12 characters with upper and lower case letters, a digit and a symbol).', newPassword: 'New password',
      repeatPassword: 'New password again', setPassword: 'Set password', confirm: 'Confirm', restart: 'Start again',
      mfaSetupHint: 'This portal needs two-step sign-in: add an account in an authenticator app on your phone (e.g. Microsoft Authenticator, Google Authenticator) with the key below, then type the 6-digit code the app shows.',
      mfaSecret: 'Key', mfaLink: 'Open in an authenticator app on this device', mfaCode: 'Code (6 digits)', mfaHint: 'Type the 6-digit code your authenticator app shows.',
      passwordsDiffer: 'The two new passwords differ.', wrongCode: 'The code is wrong or has expired: type the code the app shows now.',
      challengeExpired: 'The sign-in took too long: enter your user name and password again.', locked: 'Too many wrong passwords: the account is locked for a while, try again later.',
      throttled: 'Too many requests: wait a minute and try again.', weakPassword: (m) => `The new password does not meet the rules: ${m}`,
      resetRequired: 'This account needs a password reset: ask the operators.', noProvince: 'This account is not in exactly one province: ask the operators.',
      network: 'no network connection', waitingReceipt: 'Uploaded, waiting for the receipt…',
      receiptTimeout: (s) => `The file is uploaded but no receipt came within ${Math.round(s / 60) || 1} min: the check may still be running, press Refresh later to see recent receipts; if it never comes, tell the operators.`,
      uploadFailed: (code) => `The upload to storage failed (${code}): try again.`,
    },
  };
  /** Receipt fields shown by the page itself (the rest are listed as they come, so new fields show too). */
  const HANDLED = new Set(['id', 'file', 'status', 'problems', 'sha256', 'warnings', 'notices', 'headers', 'display']);

  const $ = (selector, root = document) => root.querySelector(selector);
  let lang = localStorage.getItem('telco-kpi-lang') === 'en' ? 'en' : 'zh-CN';
  let session = null;
  let lastCalendar = null;
  let lastHistory = null;
  const shown = [];
  const t = (key) => TEXT[lang][key];

  function el(tag, props = {}, children = []) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(props)) {
      if (name === 'text') node.textContent = value;
      else if (name === 'class') node.className = value;
      else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value);
    }
    for (const child of children) node.append(child);
    return node;
  }

  // ---- language ----
  function applyLanguage() {
    document.documentElement.lang = lang;
    document.title = `${t('title')} · telco-kpi`;
    for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
    const toggle = $('#lang');
    toggle.textContent = lang === 'en' ? '中文' : 'English';
    toggle.lang = lang === 'en' ? 'zh-CN' : 'en';
    if (session) $('#who').textContent = t('signedInAs')(session.user, session.province);
    for (const item of shown) item.render();
    if (lastCalendar) renderCalendar(lastCalendar);
    if (lastHistory) renderHistory(lastHistory);
  }

  // ---- the API: the local server's (cookie + CSRF token) or, in AWS, the HTTP API's (Cognito tokens) ----
  let backend = null;
  const api = (method, path, body) => backend.request(method, path, body);
  const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

  /** `telco-kpi serve`: an HttpOnly session cookie, the CSRF token on writes, uploads as multipart. */
  function localBackend() {
    async function request(method, path, body) {
      const headers = { accept: 'application/json' };
      if (body !== undefined) headers['content-type'] = 'application/json';
      if (method !== 'GET' && session) headers['x-csrf-token'] = session.csrfToken;
      const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
      const data = await response.json().catch(() => ({}));
      if (response.status === 401 && path !== '/api/session') signedOut(t('expired'));
      return { status: response.status, data, headers: response.headers };
    }
    return {
      request,
      async raw(path) {
        const response = await fetch(path, { credentials: 'same-origin' });
        if (response.status !== 401) return response;
        signedOut(t('expired'));
        return null;
      },
      async resume() {
        const { status, data } = await request('GET', '/api/session');
        return status === 200 ? data : null;
      },
      async signIn(user, password) {
        const { status, data, headers } = await request('POST', '/api/session', { user, password });
        if (status === 200) return { session: data };
        if (status === 429) return { error: t('tooMany')(Number(headers.get('retry-after') || 900)) };
        if (status === 401) return { error: t('badCredentials') };
        return { error: t('failed')(data.message || status) };
      },
      answer: async () => ({ restart: true, error: '' }),
      signOut: () => request('DELETE', '/api/session').catch(() => undefined),
      upload(file, onProgress) {
        return new Promise((resolve, reject) => {
          const form = new FormData();
          form.append('file', file, file.name);
          const xhr = new XMLHttpRequest();
          xhr.open('POST', '/api/uploads');
          xhr.setRequestHeader('x-csrf-token', session.csrfToken);
          xhr.setRequestHeader('accept', 'application/json');
          xhr.responseType = 'text';
          xhr.upload.addEventListener('progress', (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); });
          xhr.addEventListener('load', () => {
            let data = {};
            try { data = JSON.parse(xhr.responseText); } catch { /* not JSON: shown by status */ }
            if (xhr.status === 401) signedOut(t('expired'));
            resolve({ status: xhr.status, data });
          });
          xhr.addEventListener('error', () => reject(new Error('network')));
          xhr.send(form);
        });
      },
    };
  }

  /**
   * In AWS: Cognito tokens kept in this closure only (a reload signs in again), refreshed before they
   * expire; the access token goes to the HTTP API's JWT authorizer; a file goes to S3 by the presigned
   * PUT that POST /api/uploads answers, and its receipt is polled until the ingest function wrote it.
   */
  async function awsBackend(config) {
    for (const name of ['cognitoEndpoint', 'userPoolClientId']) if (!config[name]) throw new Error(`config.json has no ${name}`);
    const { createCognito, jwtClaims } = await import('/cognito.js');
    const cognito = createCognito({ endpoint: config.cognitoEndpoint, clientId: config.userPoolClientId });
    const receiptSeconds = Number(config.receiptTimeoutSeconds) || 360;
    let tokens = null;
    let expiresAt = 0;
    let timer = 0;
    let refreshing = null;
    let pending = null;

    function keep(next) {
      tokens = next;
      expiresAt = Date.now() + next.expiresIn * 1000;
      // When the tokens in hand expire (no secret): a test waits on it before moving the clock on.
      $('#app').dataset.tokensUntil = new Date(expiresAt).toISOString();
      clearTimeout(timer);
      const lead = Math.min(60_000, next.expiresIn * 250);
      timer = setTimeout(() => { refresh().catch(() => undefined); }, Math.max(0, expiresAt - lead - Date.now()));
    }
    function forget() {
      tokens = null;
      pending = null;
      delete $('#app').dataset.tokensUntil;
      clearTimeout(timer);
    }
    function expire() {
      if (!tokens) return;
      forget();
      signedOut(t('expired'));
    }

    /** New tokens, one refresh at a time; throttling and lost connections are retried while the tokens last, any other refusal signs out. */
    function refresh() {
      refreshing ??= (async () => {
        for (let attempt = 0; tokens; attempt++) {
          try {
            keep(await cognito.refresh(tokens.refreshToken));
            return;
          } catch (error) {
            const wait = Math.min(30_000, 1000 * 2 ** attempt);
            if (!(error.throttled || error.code === 'NetworkError') || Date.now() + wait >= expiresAt) {
              expire();
              throw error;
            }
            await sleep(wait);
          }
        }
      })().finally(() => { refreshing = null; });
      return refreshing;
    }

    /** A fetch with the access token; a 401 gets one refresh and one retry, then the page signs out. Null once signed out. */
    async function authorized(path, init = {}) {
      if (tokens && Date.now() >= expiresAt - 5000) await refresh().catch(() => undefined);
      const send = () => fetch(path, { ...init, credentials: 'omit', headers: { ...init.headers, authorization: `Bearer ${tokens.accessToken}` } });
      if (!tokens) return null;
      let response = await send();
      if (response.status !== 401) return response;
      await refresh().catch(() => undefined);
      if (!tokens) return null;
      response = await send();
      if (response.status === 401) expire();
      return response.status === 401 ? null : response;
    }

    async function request(method, path, body) {
      const headers = { accept: 'application/json' };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const response = await authorized(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      if (!response) return { status: 401, data: {}, headers: new Headers() };
      return { status: response.status, data: await response.json().catch(() => ({})), headers: response.headers };
    }

    function errorMessage(error, step) {
      if (error.throttled) return t('throttled');
      switch (error.code) {
        case 'NotAuthorizedException':
          if (step !== 'password') return t('challengeExpired');
          return /attempts exceeded/i.test(error.message) ? t('locked') : t('badCredentials');
        case 'UserNotFoundException': return t('badCredentials');
        case 'CodeMismatchException': case 'EnableSoftwareTokenMFAException': case 'ExpiredCodeException': return t('wrongCode');
        case 'InvalidPasswordException': return t('weakPassword')(error.message);
        case 'PasswordResetRequiredException': case 'UserNotConfirmedException': return t('resetRequired');
        case 'NetworkError': return t('failed')(t('network'));
        default: return t('failed')(error.message);
      }
    }

    /** One sign-in step's outcome for the page: signed in, the next challenge, or an error (and whether to start again). */
    async function settle(step, run) {
      try {
        let result = await run();
        if (result.challenge === 'MFA_SETUP') result = { ...(await cognito.associateTotp(result)), challenge: 'MFA_SETUP' };
        if (result.tokens) {
          pending = null;
          const claims = jwtClaims(result.tokens.accessToken);
          const provinces = (claims['cognito:groups'] || []).map((g) => /^province-([A-Z]{2})$/.exec(g)?.[1]).filter(Boolean);
          if (provinces.length !== 1) {
            await cognito.revoke(result.tokens.refreshToken).catch(() => undefined);
            return { restart: true, error: t('noProvince') };
          }
          keep(result.tokens);
          return { session: { user: claims.username || claims['cognito:username'], province: provinces[0] } };
        }
        if (!['NEW_PASSWORD_REQUIRED', 'SOFTWARE_TOKEN_MFA', 'MFA_SETUP'].includes(result.challenge)) {
          return { restart: true, error: t('failed')(`Cognito asked for ${result.challenge}`) };
        }
        pending = result;
        return { challenge: result.challenge, secret: result.secret, username: result.username };
      } catch (error) {
        const restart = step !== 'password' && error.code === 'NotAuthorizedException';
        if (restart) pending = null;
        return { error: errorMessage(error, step), restart };
      }
    }

    function put(target, file, onProgress) {
      return new Promise((resolve) => {
        const xhr = new XMLHttpRequest();
        xhr.open(target.method || 'PUT', target.uploadUrl);
        for (const [name, value] of Object.entries(target.headers || {})) xhr.setRequestHeader(name, value);
        xhr.responseType = 'text';
        xhr.upload.addEventListener('progress', (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); });
        xhr.addEventListener('load', () => resolve({ status: xhr.status, code: /<Code>([^<]+)<\/Code>/.exec(xhr.responseText || '')?.[1] || `HTTP ${xhr.status}` }));
        xhr.addEventListener('error', () => resolve({ status: 0, code: t('network') }));
        xhr.send(file);
      });
    }

    /** The receipt of these bytes beside the upload: an older receipt of the same name (other bytes) is not it. */
    async function pollReceipt(id, sha256) {
      const deadline = Date.now() + receiptSeconds * 1000;
      for (let n = 0; ; n++) {
        const { status, data } = await request('GET', `/api/receipts/${encodeURIComponent(id)}`);
        if (status === 200 && data.sha256 === sha256) return { status: data.status === 'rejected' ? 422 : 200, data };
        if (status !== 200 && status !== 404) return { status, data };
        if (Date.now() >= deadline) return { status: 0, data: { error: 'receipt_timeout', seconds: receiptSeconds } };
        await sleep(Math.min(5000, 1000 + n * 500));
      }
    }

    const contentTypeOf = (file) => (/\.xlsx$/i.test(file.name) ? 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
      : /\.csv$/i.test(file.name) ? 'text/csv' : file.type || 'application/octet-stream');

    return {
      waitsForReceipts: true,
      request,
      raw: (path) => authorized(path),
      resume: async () => null,
      signIn: (user, password) => settle('password', () => cognito.signIn(user, password)),
      answer(step, value) {
        if (!pending || pending.challenge !== step) return Promise.resolve({ restart: true, error: t('challengeExpired') });
        if (step === 'NEW_PASSWORD_REQUIRED') return settle(step, () => cognito.newPassword(pending, value));
        if (step === 'MFA_SETUP') return settle(step, () => cognito.verifyTotp(pending, value));
        return settle(step, () => cognito.mfaCode(pending, value));
      },
      async signOut() {
        const refreshToken = tokens?.refreshToken;
        forget();
        if (refreshToken) await cognito.revoke(refreshToken).catch(() => undefined);
      },
      async upload(file, onProgress) {
        const sha256 = [...new Uint8Array(await crypto.subtle.digest('SHA-256', await file.arrayBuffer()))].map((b) => b.toString(16).padStart(2, '0')).join('');
        const presigned = await request('POST', '/api/uploads', { fileName: file.name, size: file.size, contentType: contentTypeOf(file) });
        if (presigned.status !== 200) return presigned;
        const stored = await put(presigned.data, file, onProgress);
        if (stored.status < 200 || stored.status > 299) return { status: 0, data: { error: 'storage', message: stored.code } };
        onProgress(1);
        return pollReceipt(presigned.data.id, sha256);
      },
    };
  }

  // ---- signing in ----
  const STEPS = { password: '#sign-in-form', NEW_PASSWORD_REQUIRED: '#new-password-form', MFA_SETUP: '#mfa-setup-form', SOFTWARE_TOKEN_MFA: '#mfa-form' };

  function showError(message) {
    const error = $('#sign-in-error');
    error.hidden = !message;
    error.textContent = message || '';
  }

  function showStep(step, info = {}) {
    for (const [name, selector] of Object.entries(STEPS)) $(selector).hidden = name !== step;
    $('#restart-sign-in').hidden = step === 'password';
    if (step === 'MFA_SETUP') {
      $('#mfa-secret').textContent = info.secret.replace(/(.{4})(?=.)/g, '$1 ');
      const label = encodeURIComponent(`telco-kpi:${info.username}`);
      $('#mfa-link').setAttribute('href', `otpauth://totp/${label}?secret=${encodeURIComponent(info.secret)}&issuer=telco-kpi`);
    }
    for (const input of document.querySelectorAll('.step input, #sign-in-form input[type=password]')) input.value = '';
    $(`${STEPS[step]} input`).focus();
  }

  function showSignIn(message) {
    $('#app').hidden = true;
    $('#sign-out').hidden = true;
    $('#who').hidden = true;
    $('#sign-in').hidden = false;
    showStep('password');
    showError(message);
  }

  function signedOut(message) {
    session = null;
    showSignIn(message);
  }

  function signedIn(data) {
    session = data;
    $('#sign-in').hidden = true;
    $('#app').hidden = false;
    $('#sign-out').hidden = false;
    const who = $('#who');
    who.hidden = false;
    who.textContent = t('signedInAs')(data.user, data.province);
    loadCalendar();
    loadHistory();
  }

  /** Runs one sign-in step from a form and shows where it led. */
  function onStep(form, run) {
    $(form).addEventListener('submit', async (event) => {
      event.preventDefault();
      if (!backend) return;
      const button = $(`${form} button[type=submit]`);
      button.disabled = true;
      try {
        const result = await run();
        if (result.session) signedIn(result.session);
        else if (result.restart) showSignIn(result.error);
        else {
          if (result.challenge) showStep(result.challenge, result);
          showError(result.error);
        }
      } catch (error) {
        showSignIn(t('failed')(error.message));
      } finally {
        button.disabled = false;
      }
    });
  }
  onStep('#sign-in-form', () => backend.signIn($('#user').value.trim(), $('#password').value));
  onStep('#new-password-form', async () => {
    if ($('#new-password').value !== $('#repeat-password').value) return { error: t('passwordsDiffer') };
    return backend.answer('NEW_PASSWORD_REQUIRED', $('#new-password').value);
  });
  onStep('#mfa-setup-form', () => backend.answer('MFA_SETUP', $('#mfa-setup-code').value.trim()));
  onStep('#mfa-form', () => backend.answer('SOFTWARE_TOKEN_MFA', $('#mfa-code').value.trim()));
  $('#restart-sign-in').addEventListener('click', () => showSignIn(''));

  $('#sign-out').addEventListener('click', async () => {
    await backend.signOut();
    for (const item of shown.splice(0)) item.node.remove();
    lastCalendar = null;
    lastHistory = null;
    signedOut('');
  });

  $('#lang').addEventListener('click', () => {
    lang = lang === 'en' ? 'zh-CN' : 'en';
    localStorage.setItem('telco-kpi-lang', lang);
    applyLanguage();
  });

  // ---- uploads ----
  /** One file on the page: its progress, then its receipt (or why there is none). */
  function receiptItem(fileName) {
    const node = $('#receipt-template').content.firstElementChild.cloneNode(true);
    const state = { phase: 'uploading', progress: 0, receipt: null, error: null };
    const item = {
      node,
      set(change) { Object.assign(state, change); item.render(); },
      render() { renderReceipt(node, fileName, state); },
    };
    shown.unshift(item);
    item.render();
    return item;
  }

  function errorText(status, data) {
    if (status === 413) return t('tooLarge');
    if (status === 415) return t('wrongType');
    if (status === 404) return t('otherProvince');
    if (status === 503) return t('busy');
    if (data.error === 'file_name') return t('fileName') + (data.message || '');
    if (data.error === 'receipt_timeout') return t('receiptTimeout')(data.seconds);
    if (data.error === 'storage') return t('uploadFailed')(data.message);
    return t('failed')(data.message || status);
  }

  async function uploadAll(files) {
    for (const file of files) {
      const item = receiptItem(file.name);
      $('#uploads').prepend(item.node);
      try {
        const { status, data } = await backend.upload(file, (p) => item.set({ progress: p, phase: p >= 1 ? 'checking' : 'uploading' }));
        if ((status === 200 || status === 422) && data.id) item.set({ phase: 'done', receipt: data });
        else if (status !== 401) item.set({ phase: 'error', error: errorText(status, data) });
      } catch (error) {
        item.set({ phase: 'error', error: t('failed')(error.message) });
      }
    }
    loadCalendar();
    loadHistory();
  }

  const drop = $('#drop');
  $('#files').addEventListener('change', (event) => {
    const files = [...event.target.files];
    event.target.value = '';
    if (files.length) uploadAll(files);
  });
  for (const name of ['dragenter', 'dragover']) drop.addEventListener(name, (e) => { e.preventDefault(); drop.classList.add('over'); });
  for (const name of ['dragleave', 'drop']) drop.addEventListener(name, () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    const files = [...e.dataTransfer.files];
    if (files.length) uploadAll(files);
  });

  // ---- receipts ----
  function shanghaiTime(iso) {
    const d = new Date(Date.parse(iso) + 8 * 3600_000);
    return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(0, 16).replace('T', ' ');
  }

  function fieldValue(key, value) {
    if (key === 'receivedAt' || key === 'uploadedAt') return shanghaiTime(value);
    if (key === 'type') return `${value}${t('types')[value] ? ` (${t('types')[value]})` : ''}`;
    if (typeof value === 'boolean') return value ? t('yes') : t('no');
    if (value !== null && typeof value === 'object') return JSON.stringify(value);
    return String(value);
  }

  function renderReceipt(node, fileName, state) {
    const receipt = state.receipt;
    $('.file', node).textContent = receipt ? receipt.file : fileName;
    const badge = $('.badge', node);
    const progress = $('progress', node);
    progress.hidden = state.phase === 'done' || state.phase === 'error';
    progress.value = Math.round(state.progress * 100);
    node.dataset.status = receipt ? receipt.status : state.phase;
    if (!receipt) {
      badge.textContent = state.phase === 'error' ? state.error : state.phase === 'checking' ? t(backend.waitsForReceipts ? 'waitingReceipt' : 'checking') : `${t('uploading')} ${Math.round(state.progress * 100)}%`;
      badge.className = `badge ${state.phase === 'error' ? 'rejected' : 'pending'}`;
      return;
    }
    badge.textContent = t('status')[receipt.status] || receipt.status;
    badge.className = `badge ${receipt.status}`;
    const fields = $('.fields', node);
    fields.replaceChildren();
    const labels = t('fields');
    for (const [key, value] of Object.entries(receipt)) {
      if (HANDLED.has(key) || value === undefined || value === null || value === '') continue;
      fields.append(el('dt', { text: labels[key] || key }), el('dd', { text: fieldValue(key, value) }));
    }
    // The server renders problems and notices in both languages (rows as Excel numbers them, columns as the file named them).
    const shown = (receipt.display && receipt.display[lang]) || null;
    for (const warning of shown ? shown.notices : receipt.warnings || []) fields.append(el('dt', { text: labels.warnings }), el('dd', { text: String(warning) }));
    const problems = $('.problems', node);
    const list = receipt.problems || [];
    problems.hidden = list.length === 0;
    if (list.length) {
      $('.problems-title', problems).textContent = t('problems')(receipt.problemCount ?? list.length);
      $('.h-row', problems).textContent = t('row');
      $('.h-column', problems).textContent = t('column');
      $('.h-value', problems).textContent = t('value');
      $('.h-message', problems).textContent = t('message');
      $('tbody', problems).replaceChildren(...list.map((p, i) => {
        const view = shown ? shown.problems[i] : { line: p.row > 0 ? p.row + 1 : 0, column: p.column, value: p.value, text: p.message };
        return el('tr', {}, [
          el('td', { text: view.line > 0 ? String(view.line) : p.column ? t('header') : t('wholeFile') }),
          el('td', { text: view.column || '' }),
          el('td', { class: 'value', text: view.value || '' }),
          el('td', { text: view.text || '' }),
        ]);
      }));
      const more = (receipt.problemCount ?? list.length) - list.length;
      $('.more', problems).textContent = more > 0 ? t('more')(more) : '';
    }
    $('.actions', node).replaceChildren(...downloadButtons(receipt));
  }

  function downloadButtons(receipt) {
    return [['txt', t('downloadTxt')], ['json', t('downloadJson')]].map(([format, label]) =>
      el('button', { type: 'button', class: 'secondary small', 'data-format': format, text: label, onclick: () => download(receipt, format) }));
  }

  async function download(receipt, format) {
    const response = await backend.raw(`/api/receipts/${encodeURIComponent(receipt.id)}?format=${format}&download=1${lang === 'en' ? '&lang=en' : ''}`);
    if (!response) return undefined;
    if (!response.ok) return alert(t('notFound'));
    const url = URL.createObjectURL(await response.blob());
    const link = el('a', { href: url, download: `${receipt.file}.receipt.${format}` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  async function openReceipt(id) {
    const { status, data } = await api('GET', `/api/receipts/${encodeURIComponent(id)}`);
    if (status !== 200) return;
    const item = receiptItem(data.file);
    $('#uploads').prepend(item.node);
    item.set({ phase: 'done', receipt: data });
    item.node.scrollIntoView({ behavior: 'smooth', block: 'nearest' });
  }

  // ---- calendar ----
  async function loadCalendar() {
    const { status, data } = await api('GET', '/api/completeness');
    if (status === 200) renderCalendar(data);
  }
  $('#refresh').addEventListener('click', () => { loadCalendar(); loadHistory(); });

  function renderCalendar(data) {
    lastCalendar = data;
    const symbols = { received: '✓', rejected: '✗', missing: '!', upcoming: '·' };
    const weeks = data.weeks.map((week, i) => {
      const days = [];
      for (let n = 0; n < 7; n++) days.push(new Date(Date.parse(`${week.start}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10));
      const head = el('tr', {}, [el('th', { text: `${i === 0 ? t('thisWeek') : t('lastWeek')} ${week.id}` }),
        ...days.map((day, d) => el('th', { class: day === data.today ? 'today' : '', text: `${t('weekdays')[d]} ${day.slice(5)}` }))]);
      const rows = data.types.map((type) => el('tr', {}, [el('th', { scope: 'row', text: t('types')[type] || type }), ...days.map((day) => {
        const cell = data.cells.find((c) => c.day === day && c.type === type) || { status: 'missing' };
        const label = `${t('types')[type] || type} ${day}: ${t('cell')[cell.status]}${cell.file ? ` (${cell.file})` : ''}`;
        const props = { class: `cell ${cell.status}${day === data.today ? ' today' : ''}`, title: label, 'aria-label': label, 'data-day': day, 'data-type': type, 'data-status': cell.status, text: symbols[cell.status] };
        if (cell.receiptId) {
          return el('td', {}, [el('button', { ...props, type: 'button', onclick: () => openReceipt(cell.receiptId) })]);
        }
        return el('td', {}, [el('span', props)]);
      })]));
      return el('div', { class: 'table-wrap' }, [el('table', { class: 'week', 'data-week': week.id }, [el('thead', {}, [head]), el('tbody', {}, rows)])]);
    });
    $('#calendar').replaceChildren(...weeks);
  }

  // ---- history ----
  async function loadHistory() {
    const { status, data } = await api('GET', '/api/receipts');
    if (status === 200) renderHistory(data.receipts);
  }

  function renderHistory(receipts) {
    lastHistory = receipts;
    const body = $('#history tbody');
    if (receipts.length === 0) return body.replaceChildren(el('tr', {}, [el('td', { colspan: '5', text: t('noReceipts') })]));
    body.replaceChildren(...receipts.slice(0, 50).map((r) => el('tr', { 'data-status': r.status }, [
      el('td', { text: shanghaiTime(r.receivedAt) }),
      el('td', {}, [el('button', { type: 'button', class: 'link', text: r.file, onclick: () => openReceipt(r.id) })]),
      el('td', {}, [el('span', { class: `badge ${r.status}`, text: t('status')[r.status] || r.status })]),
      el('td', { text: `${r.rowsAccepted}/${r.rowsRead}` }),
      el('td', {}, downloadButtons(r)),
    ])));
  }

  // ---- start ----
  applyLanguage();
  (async () => {
    const config = await fetch('/config.json', { cache: 'no-store' }).then((r) => (r.ok ? r.json() : { mode: 'local' })).catch(() => ({ mode: 'local' }));
    backend = config.mode === 'aws' ? await awsBackend(config) : localBackend();
    const resumed = await backend.resume().catch(() => null);
    if (resumed) signedIn(resumed);
    else showSignIn('');
  })().catch((error) => showSignIn(t('failed')(error.message)));
})();
