// The branch upload portal's page (SPEC §9). Plain script, no framework; every value from the
// server or a file goes into the page as text (textContent), never as HTML.
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
      fields: { type: '类型', province: '省份', day: '日期', month: '月份', rowsRead: '读取行数', rowsAccepted: '接受行数', encoding: '编码', receivedAt: '接收时间', problemCount: '问题数', warnings: '提示' },
      problems: (n) => `问题（${n}）`, row: '行', column: '列', value: '值', message: '问题与处理办法',
      header: '表头', wholeFile: '文件', more: (n) => `……另有 ${n} 个问题，见文本回执。`,
      downloadTxt: '下载回执（文本）', downloadJson: '下载回执（JSON）',
      types: { sales: '销售日报', revenue: '收入日报', service: '服务日报' },
      weekdays: ['一', '二', '三', '四', '五', '六', '日'], thisWeek: '本周', lastWeek: '上周',
      cell: { received: '已接收', rejected: '被拒绝', missing: '缺失', upcoming: '未到期' },
      noReceipts: '还没有回执。', yes: '是', no: '否',
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
      fields: { type: 'Type', province: 'Province', day: 'Day', month: 'Month', rowsRead: 'Rows read', rowsAccepted: 'Rows accepted', encoding: 'Encoding', receivedAt: 'Received', problemCount: 'Problems', warnings: 'Warnings' },
      problems: (n) => `Problems (${n})`, row: 'Row', column: 'Column', value: 'Value', message: 'What is wrong and what to do',
      header: 'header', wholeFile: 'file', more: (n) => `…and ${n} more problems: see the text receipt.`,
      downloadTxt: 'Download receipt (text)', downloadJson: 'Download receipt (JSON)',
      types: { sales: 'Sales', revenue: 'Revenue', service: 'Service' },
      weekdays: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'], thisWeek: 'This week', lastWeek: 'Last week',
      cell: { received: 'received', rejected: 'rejected', missing: 'missing', upcoming: 'not due yet' },
      noReceipts: 'No receipts yet.', yes: 'yes', no: 'no',
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

  // ---- the API ----
  async function api(method, path, body) {
    const headers = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET' && session) headers['x-csrf-token'] = session.csrfToken;
    const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
    const data = await response.json().catch(() => ({}));
    if (response.status === 401 && path !== '/api/session') signedOut(t('expired'));
    return { status: response.status, data, headers: response.headers };
  }

  function showSignIn(message) {
    $('#app').hidden = true;
    $('#sign-out').hidden = true;
    $('#who').hidden = true;
    $('#sign-in').hidden = false;
    const error = $('#sign-in-error');
    error.hidden = !message;
    error.textContent = message || '';
    $('#user').focus();
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

  $('#sign-in-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = $('#sign-in-form button');
    button.disabled = true;
    try {
      const { status, data, headers } = await api('POST', '/api/session', { user: $('#user').value.trim(), password: $('#password').value });
      $('#password').value = '';
      if (status === 200) signedIn(data);
      else if (status === 429) showSignIn(t('tooMany')(Number(headers.get('retry-after') || 900)));
      else if (status === 401) showSignIn(t('badCredentials'));
      else showSignIn(t('failed')(data.message || status));
    } catch (error) {
      showSignIn(t('failed')(error.message));
    } finally {
      button.disabled = false;
    }
  });

  $('#sign-out').addEventListener('click', async () => {
    await api('DELETE', '/api/session').catch(() => undefined);
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
  function uploadFile(file, onProgress) {
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
        resolve({ status: xhr.status, data });
      });
      xhr.addEventListener('error', () => reject(new Error('network')));
      xhr.send(form);
    });
  }

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
    return t('failed')(data.message || status);
  }

  async function uploadAll(files) {
    for (const file of files) {
      const item = receiptItem(file.name);
      $('#uploads').prepend(item.node);
      try {
        const { status, data } = await uploadFile(file, (p) => item.set({ progress: p, phase: p >= 1 ? 'checking' : 'uploading' }));
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
    if (key === 'receivedAt') return shanghaiTime(value);
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
      badge.textContent = state.phase === 'error' ? state.error : state.phase === 'checking' ? t('checking') : `${t('uploading')} ${Math.round(state.progress * 100)}%`;
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
    const response = await fetch(`/api/receipts/${encodeURIComponent(receipt.id)}?format=${format}&download=1${lang === 'en' ? '&lang=en' : ''}`, { credentials: 'same-origin' });
    if (response.status === 401) return signedOut(t('expired'));
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
  api('GET', '/api/session').then(({ status, data }) => (status === 200 ? signedIn(data) : showSignIn(''))).catch(() => showSignIn(''));
})();
