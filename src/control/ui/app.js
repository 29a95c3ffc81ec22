// provmock dashboard: plain JavaScript, no libraries. Everything shown comes from the control plane (/_mock/…);
// live updates from /_mock/events (Server-Sent Events), with polling while the stream is down. Every value from the
// world is rendered as text (textContent), never as HTML.
'use strict';
(() => {
  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];
  const enc = encodeURIComponent;

  // h('tag', {attr: value, onclick: fn, class: 'x'}, ...children): children are nodes or text.
  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else if (k === 'class') el.className = v;
      else el.setAttribute(k, v === true ? '' : v);
    }
    for (const kid of kids.flat(Infinity)) {
      if (kid != null && kid !== false) el.append(kid instanceof Node ? kid : String(kid));
    }
    return el;
  }
  const badge = (text, cls) => h('span', { class: `badge ${cls || ''}` }, text);
  const muted = (text) => h('span', { class: 'muted' }, text);
  const time = (s) => (s ? String(s).replace('T', ' ').replace(/(\.\d+)?Z$/, 'Z') : '');
  const short = (name) => String(name || '').split('/').pop();
  const stateClass = (s) => ({ ACTIVE: 'ok', ACCEPTED: 'ok', INVITED: 'info', PENDING: 'warn', CREATING: 'warn',
    NOT_YET_SENT: '', DECLINED: 'bad', CREATE_FAILED: 'bad', SUSPENDED: 'bad', DELETING: 'warn' }[s] || '');

  // ---------- the control token and calls ----------

  const TOKEN_KEY = 'provmock.control-token';
  let token = sessionStorage.getItem(TOKEN_KEY) || '';
  class AuthError extends Error {}

  async function api(method, path, body) {
    const headers = {};
    if (token) headers.Authorization = `Bearer ${token}`;
    let payload;
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      payload = typeof body === 'string' ? body : JSON.stringify(body);
    }
    const r = await fetch(path, { method, headers, body: payload, cache: 'no-store', credentials: 'same-origin' });
    const text = await r.text();
    let data;
    try { data = text ? JSON.parse(text) : {}; } catch (_) { data = { raw: text }; }
    const message = (data && data.error && data.error.message) || `${r.status} ${r.statusText}`;
    if (r.status === 401) { askToken(data); throw new AuthError(message); }
    if (!r.ok) throw new Error(message);
    return data;
  }

  // Runs a steering call; failures become a toast. Resolves to the call's result (undefined on failure).
  async function act(label, fn) {
    try { return await fn(); } catch (e) { if (!(e instanceof AuthError)) toast(`${label}: ${e.message}`, true); }
  }

  function toast(text, bad) {
    const t = h('div', { class: `toast ${bad ? 'bad' : ''}` }, text);
    $('#toasts').append(t);
    setTimeout(() => t.remove(), bad ? 8000 : 3000);
  }

  function askToken(err) {
    stopLive();
    $('#app').hidden = true;
    $('#login').hidden = false;
    const reason = err && err.error && err.error.details && err.error.details[0] && err.error.details[0].reason;
    $('#login-error').textContent = token && reason === 'CONTROL_TOKEN_INVALID' ? 'That is not the control token.' : '';
    $('#token-input').focus();
  }

  // ---------- views and their refreshes ----------

  const views = {};
  const dirty = new Set();
  const running = new Set();
  let flushTimer = null;

  function mark(...names) {
    for (const n of names) dirty.add(n);
    if (!flushTimer) flushTimer = setTimeout(flush, 120);
  }
  function markAll() { mark(...Object.keys(views)); }

  function flush() {
    flushTimer = null;
    for (const name of [...dirty]) {
      const v = views[name];
      dirty.delete(name);
      if (!v) continue;
      if (v.visible && !v.visible()) { v.stale = true; continue; }
      if (running.has(name)) { dirty.add(name); continue; }
      running.add(name);
      v.stale = false;
      v.refresh()
        .catch((e) => { if (!(e instanceof AuthError) && v.failed) v.failed(e); })
        .finally(() => {
          running.delete(name);
          if (dirty.size && !flushTimer) flushTimer = setTimeout(flush, 120);
        });
    }
  }

  function inspect(title, value) {
    $('#inspector-title').textContent = title;
    $('#inspector-body').textContent = JSON.stringify(value, null, 2);
    $('#inspector').hidden = false;
  }

  // A count chip bar: [All n] [STATE n] …; `pick` gets the chosen state ('' for all).
  function chips(states, pick) {
    const bar = h('div', { class: 'chips' });
    let chosen = '';
    const draw = (counts) => {
      bar.replaceChildren(...['', ...states].map((s) => {
        const n = s ? counts[s] || 0 : Object.values(counts).reduce((a, b) => a + b, 0);
        return h('button', { type: 'button', class: `chip ${s === chosen ? 'on' : ''}`, 'data-state': s,
          onclick: () => { chosen = s; draw(counts); pick(s); } }, s ? s.replace(/_/g, ' ').toLowerCase() : 'all', ' ',
        h('b', {}, n));
      }));
    };
    draw({});
    return { el: bar, draw };
  }

  // A paged table over GET /_mock/resources (or any endpoint answering {items, next_page_token, total}).
  class Paged {
    constructor(root, o) {
      this.o = o;
      this.tokens = [''];
      this.at = 0;
      this.q = '';
      this.head = h('div', { class: 'head' }, h('h3', {}, o.title), this.count = muted(''), h('span', { class: 'grow' }));
      if (o.search) {
        let timer;
        this.head.append(h('input', { type: 'search', placeholder: o.search, 'aria-label': `search ${o.title}`,
          oninput: (e) => {
            clearTimeout(timer);
            timer = setTimeout(() => { this.q = e.target.value.trim(); this.restart(); }, 250);
          } }));
      }
      if (o.tools) this.head.append(...o.tools(this));
      this.body = h('div', { class: 'scroll' });
      this.foot = h('div', { class: 'pager' });
      root.replaceChildren(this.head, this.body, this.foot);
      this.name = o.view;
      views[o.view] = this;
    }
    visible() { return this.o.visible ? this.o.visible() : true; }
    restart() { this.tokens = ['']; this.at = 0; mark(this.name); }
    async refresh() {
      const t = this.tokens[this.at];
      const url = `${this.o.url(this)}&page_size=${this.o.size || 10}${t ? `&page_token=${enc(t)}` : ''}${this.q ? `&q=${enc(this.q)}` : ''}`;
      const data = await api('GET', url);
      this.render(data);
      return data;
    }
    failed(e) { this.body.replaceChildren(h('p', { class: 'error' }, e.message)); }
    render(data) {
      const items = data.items || [];
      const cols = this.o.columns;
      this.count.textContent = data.total != null ? `${data.total} stored` : '';
      if (this.o.counts) this.o.counts(data);
      const rows = items.map((it) => h('tr', { 'data-key': this.o.key(it),
        onclick: (e) => { if (!e.target.closest('button,a')) inspect(this.o.key(it), it); } },
      cols.map(([, cell, cls]) => h('td', { class: cls || null }, cell(it)))));
      this.body.replaceChildren(h('table', {},
        h('thead', {}, h('tr', {}, cols.map(([title]) => h('th', {}, title)))),
        h('tbody', {}, rows.length ? rows : h('tr', { class: 'empty' }, h('td', { colspan: cols.length }, this.o.empty || 'nothing here')))));
      const next = data.next_page_token || '';
      this.foot.replaceChildren(
        h('button', { type: 'button', disabled: this.at === 0, onclick: () => { this.at--; mark(this.name); } }, '‹ prev'),
        muted(`page ${this.at + 1}`),
        h('button', { type: 'button', disabled: !next, 'data-act': 'next',
          onclick: () => { this.tokens.length = this.at + 1; this.tokens.push(next); this.at++; mark(this.name); } }, 'next ›'));
    }
  }

  // ---------- header: health, clock, live ----------

  let clock = null; // {now: ms on provmock's clock at `at`, at: Date.now(), frozen}
  async function loadHealth() {
    const hl = await api('GET', '/_mock/health');
    $('#health').textContent = `v${hl.version} · :${hl.port}${hl.tls_port ? ` · TLS :${hl.tls_port}` : ''} · auth ${hl.auth}`;
  }
  views.clock = {
    async refresh() {
      const c = await api('GET', '/_mock/clock');
      clock = { now: Date.parse(c.now), at: Date.now(), frozen: c.mode.mode === 'frozen' };
      const m = $('#clock-mode');
      m.textContent = c.mode.mode === 'offset' ? `offset ${Math.round(c.mode.offset_ms / 1000)} s` : c.mode.mode;
      m.className = `badge ${c.mode.mode === 'real' ? '' : 'warn'}`;
      drawClock();
    },
  };
  function clockNow() { return clock ? clock.now + (clock.frozen ? 0 : Date.now() - clock.at) : Date.now(); }
  function drawClock() { if (clock) $('#clock-now').textContent = time(new Date(clockNow()).toISOString()); }
  setInterval(drawClock, 1000);

  $$('[data-clock]').forEach((b) => b.addEventListener('click', () => {
    const what = b.dataset.clock;
    act('clock', () => (what === 'freeze' ? api('PUT', '/_mock/clock', { now: new Date(clockNow()).toISOString() })
      : what === 'advance' ? api('POST', '/_mock/clock:advance', { seconds: Number($('#clock-secs').value) || 0 })
        : api('DELETE', '/_mock/clock'))).then(() => mark('clock', 'operations', 'summary'));
  }));

  // ---------- the world, per family ----------

  let tab = 'channel';
  const onTab = (name) => () => tab === name;
  const famOf = { channel: 'channel', cloudidentity: 'cloudidentity', scp: 'scp', yandex: 'yandex' };
  const worldViews = { channel: ['customers', 'identities', 'accounts'], cloudidentity: ['invitations', 'mail', 'consumers'],
    scp: ['scpAccounts', 'scpUnits'], yandex: ['users', 'pools'] };

  function showTab(name) {
    tab = name;
    $$('#world-tabs [data-tab]').forEach((b) => b.classList.toggle('on', b.dataset.tab === name));
    $$('#world [data-pane]').forEach((p) => { p.hidden = p.dataset.pane !== name; });
    for (const v of worldViews[name]) if (views[v].stale || !views[v].loaded) { views[v].loaded = true; mark(v); }
  }
  $$('#world-tabs [data-tab]').forEach((b) => b.addEventListener('click', () => showTab(b.dataset.tab)));

  const res = (family, kind) => `/_mock/resources?family=${family}&kind=${kind}`;

  new Paged($('#channel-customers'), {
    view: 'customers', title: 'Customers', size: 10, search: 'name, domain, organization', visible: onTab('channel'),
    url: () => res('channel', 'customers'), key: (c) => c.name,
    columns: [
      ['Customer', (c) => h('code', { title: c.name }, short(c.name))],
      ['Reseller', (c) => c.name.split('/')[1]],
      ['Organization', (c) => c.org_display_name],
      ['Domain', (c) => c.domain],
      ['Cloud Identity', (c) => (c.cloud_identity_id ? h('code', { class: 'ci' }, c.cloud_identity_id)
        : c.provisioning_operation ? badge('provisioning…', 'warn') : muted('none')), 'ci-cell'],
      ['Updated', (c) => time(c.update_time)],
    ],
  });
  new Paged($('#channel-identities'), {
    view: 'identities', title: 'Cloud Identities', size: 6, search: 'id, domain, admin', visible: onTab('channel'),
    url: () => res('channel', 'cloud_identities'), key: (c) => c.id,
    columns: [
      ['Id', (c) => h('code', {}, c.id)],
      ['Type', (c) => c.customer_type],
      ['Domain', (c) => [c.primary_domain, c.is_domain_verified ? '' : muted(' (unverified)')]],
      ['Admin', (c) => c.admin.email],
      ['', (c) => h('button', { type: 'button', class: 'small', title: 'its user invitations',
        onclick: () => { invitations.setCustomer(c.id); showTab('cloudidentity'); } }, 'invitations')],
    ],
  });
  new Paged($('#channel-accounts'), {
    view: 'accounts', title: 'Reseller accounts', size: 6, visible: onTab('channel'),
    url: () => res('channel', 'accounts'), key: (a) => a.id,
    columns: [['Account', (a) => h('code', {}, `accounts/${a.id}`)], ['Name', (a) => a.display_name],
      ['Own Cloud Identity', (a) => a.cloud_identity_id || '']],
  });

  const INV_STATES = ['NOT_YET_SENT', 'INVITED', 'ACCEPTED', 'DECLINED'];
  const invitations = (() => {
    let customer = 'C00000000';
    let state = '';
    const bar = chips(INV_STATES, (s) => { state = s; p.restart(); });
    const input = h('input', { type: 'text', value: customer, 'aria-label': 'Cloud Identity', size: 11,
      onchange: (e) => { customer = e.target.value.trim(); p.restart(); } });
    const invite = (inv, verb) => act(verb, () => api('POST',
      `/_mock/invitations/customers/${enc(inv.customer)}/userinvitations/${enc(inv.email)}:${verb}`))
      .then(() => mark('invitations', 'summary'));
    const p = new Paged($('#ci-invitations'), {
      view: 'invitations', title: 'User invitations of', size: 10, search: 'email', visible: onTab('cloudidentity'),
      tools: () => [bar.el],
      url: () => `${res('cloudidentity', 'invitations')}&customer=${enc(customer)}&state=${state}`,
      key: (i) => i.name, counts: (d) => bar.draw(d.counts || {}),
      empty: 'no invitations (no unmanaged accounts in its verified domains)',
      columns: [
        ['Email', (i) => i.email],
        ['State', (i) => badge(i.state, stateClass(i.state))],
        ['Mails sent', (i) => i.mails_sent_count, 'num'],
        ['Updated', (i) => time(i.update_time)],
        ['The user…', (i) => (i.state === 'INVITED' ? [
          h('button', { type: 'button', class: 'small', onclick: () => invite(i, 'accept') }, 'accepts'),
          h('button', { type: 'button', class: 'small', onclick: () => invite(i, 'decline') }, 'declines')] : '')],
      ],
    });
    p.head.querySelector('h3').after(input);
    p.setCustomer = (c) => { customer = c; input.value = c; p.restart(); };
    return p;
  })();
  new Paged($('#ci-mail'), {
    view: 'mail', title: 'Mail log', size: 6, visible: onTab('cloudidentity'), url: () => res('cloudidentity', 'mail'),
    key: (m) => `${m.to}@${m.time}`, empty: 'no invitation mail sent yet',
    columns: [['To', (m) => m.to], ['Customer', (m) => m.customer], ['Time', (m) => time(m.time)], ['#', (m) => m.count, 'num']],
  });
  new Paged($('#ci-consumers'), {
    view: 'consumers', title: 'Consumer accounts', size: 6, search: 'email', visible: onTab('cloudidentity'),
    url: () => res('cloudidentity', 'consumer_accounts'), key: (a) => a.email,
    columns: [['Email', (a) => a.email], ['', (a) => (a.managed ? badge('managed', 'ok') : muted('unmanaged'))]],
  });

  const scpAccounts = (() => {
    let state = '';
    const bar = chips(['PENDING', 'ACTIVE', 'CREATE_FAILED'], (s) => { state = s; p.restart(); });
    const p = new Paged($('#scp-accounts'), {
      view: 'scpAccounts', title: 'SCP accounts', size: 10, search: 'id, name, email', visible: onTab('scp'),
      tools: () => [bar.el], url: () => `${res('scp', 'accounts')}&state=${state}`, key: (a) => a.id,
      empty: 'no accounts yet (POST /v1/accounts creates one)',
      columns: [
        ['Id', (a) => h('code', { title: a.id }, `${a.id.slice(0, 12)}…`)],
        ['Name', (a) => a.name], ['Email', (a) => a.email],
        ['State', (a) => badge(a.state, stateClass(a.state))],
        ['Unit', (a) => h('code', {}, a.parent_unit_id)], ['Created', (a) => time(a.created_at)],
      ],
    });
    p.bar = bar;
    return p;
  })();
  new Paged($('#scp-units'), {
    view: 'scpUnits', title: 'Organization units', size: 6, visible: onTab('scp'),
    url: () => res('scp', 'organization_units'), key: (u) => u.id,
    columns: [['Id', (u) => h('code', {}, u.id)], ['Name', (u) => u.name], ['Landing zone', (u) => u.landing_zone_id],
      ['', (u) => (u.security ? badge('Security OU', 'warn') : '')]],
  });

  const users = (() => {
    let state = '';
    let pool = '';
    const bar = chips(['CREATING', 'ACTIVE', 'SUSPENDED', 'DELETING'], (s) => { state = s; p.restart(); });
    const poolChip = h('button', { type: 'button', class: 'chip on', hidden: true,
      onclick: () => { p.setPool(''); } });
    const p = new Paged($('#yandex-users'), {
      view: 'users', title: 'Yandex users', size: 10, search: 'username, name, email', visible: onTab('yandex'),
      tools: () => [poolChip, bar.el], url: () => `${res('yandex', 'users')}&state=${state}&userpool=${enc(pool)}`,
      key: (u) => u.id, empty: 'no users',
      columns: [
        ['Id', (u) => h('code', {}, u.id)], ['Username', (u) => u.profile.username],
        ['Full name', (u) => u.profile.full_name], ['Status', (u) => badge(u.status, stateClass(u.status))],
        ['Userpool', (u) => h('code', {}, u.userpool_id)], ['Created', (u) => time(u.created_at)],
      ],
    });
    p.bar = bar;
    p.setPool = (id) => { pool = id; poolChip.hidden = !id; poolChip.textContent = `pool ${id} ×`; p.restart(); };
    return p;
  })();
  new Paged($('#yandex-pools'), {
    view: 'pools', title: 'Userpools', size: 6, search: 'id, name', visible: onTab('yandex'),
    url: () => res('yandex', 'userpools'), key: (u) => u.id,
    columns: [['Id', (u) => h('code', {}, u.id)], ['Name', (u) => u.name], ['Domains', (u) => u.domains.join(', ')],
      ['Status', (u) => badge(u.status, stateClass(u.status))],
      ['', (u) => h('button', { type: 'button', class: 'small', onclick: () => users.setPool(u.id) }, 'users')]],
  });

  // Counts for the tabs and chips.
  views.summary = {
    async refresh() {
      const s = await api('GET', '/_mock/resources');
      const sum = (o) => (typeof o === 'number' ? o : Object.values(o).reduce((a, b) => a + b, 0));
      const label = { channel: `Channel · ${s.channel.customers}`, cloudidentity: `Cloud Identity · ${sum(s.cloudidentity.invitations)}`,
        scp: `SCP · ${sum(s.scp.accounts)}`, yandex: `Yandex · ${sum(s.yandex.users)}` };
      $$('#world-tabs [data-tab]').forEach((b) => { b.textContent = label[b.dataset.tab]; });
      scpAccounts.bar.draw(s.scp.accounts);
      users.bar.draw(s.yandex.users);
      opsBar.draw({ pending: s.operations.pending, finished: s.operations.done });
    },
  };

  $('#reset-family').addEventListener('click', confirmClick(() => {
    const family = famOf[tab];
    return act('reset', () => api('POST', `/_mock/reset?family=${family}`)).then((r) => {
      if (r) toast(`${family === 'channel' || family === 'cloudidentity' ? 'Google (Channel and Cloud Identity)' : family} reset to the fixtures`);
      markAll();
    });
  }));

  // A destructive button asks once more: the first click arms it for three seconds.
  function confirmClick(fn) {
    return (e) => {
      const b = e.currentTarget;
      if (b.dataset.armed) { delete b.dataset.armed; b.textContent = b.dataset.label; fn(); return; }
      b.dataset.label = b.textContent;
      b.dataset.armed = '1';
      b.textContent = 'Click again to confirm';
      setTimeout(() => { if (b.dataset.armed) { delete b.dataset.armed; b.textContent = b.dataset.label; } }, 3000);
    };
  }

  // ---------- operations ----------

  const CODES = ['INTERNAL', 'UNAVAILABLE', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ALREADY_EXISTS',
    'PERMISSION_DENIED', 'NOT_FOUND', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'ABORTED', 'CANCELLED', 'UNKNOWN'];
  const KINDS = ['channel.provisionCloudIdentity', 'scp.createAccount', 'yandex.createUser', 'yandex.updateUser',
    'yandex.deleteUser', 'yandex.suspendUser', 'yandex.reactivateUser', 'yandex.createUserpool', 'yandex.deleteUserpool'];
  const select = (attrs, options) => h('select', attrs, options.map(([v, t]) => h('option', { value: v }, t)));
  let opsDone = 'false';
  const opsBar = (() => {
    const bar = h('div', { class: 'chips' });
    const draw = (counts) => bar.replaceChildren(...[['false', 'pending'], ['true', 'finished'], ['', 'all']].map(([v, t]) =>
      h('button', { type: 'button', class: `chip ${v === opsDone ? 'on' : ''}`, 'data-done': v,
        onclick: () => { opsDone = v; draw(counts); ops.restart(); } },
      t, ' ', h('b', {}, v === 'false' ? counts.pending : v === 'true' ? counts.finished : (counts.pending || 0) + (counts.finished || 0)))));
    draw({});
    return { el: bar, draw };
  })();
  const opsFamily = select({ 'aria-label': 'family', onchange: () => ops.restart() },
    [['', 'every family'], ['channel', 'channel'], ['cloudidentity', 'cloudidentity'], ['scp', 'scp'], ['yandex', 'yandex']]);
  const failCode = select({ 'aria-label': 'error code for fail', id: 'fail-code' }, CODES.map((c) => [c, c]));
  const opUrl = (name, verb) => `/_mock/operations/${name.split('/').map(enc).join('/')}:${verb}`;
  const finish = (op, verb) => act(verb, () => api('POST', opUrl(op.name, verb),
    verb === 'fail' ? { code: failCode.value } : undefined))
    .then((r) => { if (r) toast(`${short(op.name)} ${verb === 'fail' ? `failed with ${failCode.value}` : 'completed'}`); markAll(); });
  const ops = new Paged($('#operations'), {
    view: 'operations', title: 'Operations', size: 10, search: 'name or kind',
    tools: () => [opsBar.el, opsFamily, h('label', { class: 'muted' }, 'fail with ', failCode),
      h('button', { type: 'button', id: 'flush', title: 'Finish every pending operation now',
        onclick: () => act('flush', () => api('POST', '/_mock/operations:flush')).then((r) => { if (r) toast(`${r.completed} finished`); markAll(); }) },
      'Finish all pending')],
    url: () => `/_mock/resources?kind=operations&done=${opsDone}&family=${opsFamily.value}`, key: (o) => o.name,
    empty: 'no operations here',
    columns: [
      ['Name', (o) => h('code', { title: o.name }, o.name.length > 30 ? `${o.name.slice(0, 29)}…` : o.name)],
      ['Kind', (o) => o.kind],
      ['Created', (o) => h('span', { title: time(o.created_at) }, time(o.created_at).slice(11))],
      ['Finishes', (o) => (o.done ? time(o.modified_at) : o.deadline ? `at ${time(o.deadline)}` : o.polls_left ? `after ${o.polls_left} polls` : muted('when told'))],
      ['State', (o) => (!o.done ? badge('pending', 'warn') : o.error ? badge(o.error.code, 'bad') : badge('done', 'ok'))],
      ['', (o) => (o.done ? '' : [
        h('button', { type: 'button', class: 'small', 'data-act': 'complete', onclick: () => finish(o, 'complete') }, 'complete'),
        h('button', { type: 'button', class: 'small danger', 'data-act': 'fail', onclick: () => finish(o, 'fail') }, 'fail')])],
    ],
  });
  // Completion policies, under the operations table.
  const policyLine = muted('');
  const polKind = select({ 'aria-label': 'operation kind' }, [['*', 'every kind'], ...KINDS.map((k) => [k, k])]);
  const polWhat = select({ 'aria-label': 'policy' }, [['manual', 'manual (only from here)'], ['immediate', 'immediate'],
    ['after_ms', 'after ms'], ['after_polls', 'after polls']]);
  const polN = h('input', { type: 'number', min: 1, value: 500, 'aria-label': 'policy amount' });
  const setPolicy = () => {
    const w = polWhat.value;
    const policy = w === 'after_ms' || w === 'after_polls' ? { [w]: Number(polN.value) || 1 } : w;
    act('policy', () => api('PUT', '/_mock/operations/policy', { kind: polKind.value, policy })).then(() => mark('policy'));
  };
  $('#operations').append(h('div', { class: 'row policy' }, h('strong', {}, 'Completion policy'), polKind, polWhat, polN,
    h('button', { type: 'button', onclick: setPolicy }, 'Set'),
    h('button', { type: 'button', onclick: () => act('policy', () => api('DELETE', '/_mock/operations/policy')).then(() => mark('policy')) }, 'Back to --lro-delay'),
    policyLine));
  const polText = (p) => (typeof p === 'string' ? p : Object.entries(p).map(([k, v]) => `${k.replace('_', ' ')} ${v}`).join(''));
  views.policy = {
    async refresh() {
      const p = await api('GET', '/_mock/operations/policy');
      const kinds = Object.entries(p.kinds || {}).map(([k, v]) => `${k}: ${polText(v)}`);
      policyLine.textContent = `now: default ${polText(p.default)}${kinds.length ? `; ${kinds.join('; ')}` : ''}`;
    },
  };

  // ---------- faults ----------

  const faultsRoot = $('#faults');
  const faultRows = h('div', { class: 'scroll' });
  const field = (name, attrs) => h('input', { name, 'aria-label': name, ...attrs });
  const faultForm = h('form', { id: 'fault-form', class: 'grid-form', autocomplete: 'off' },
    h('label', {}, 'family', select({ name: 'family' }, [['', 'any'], ['channel', 'channel'], ['cloudidentity', 'cloudidentity'], ['scp', 'scp'], ['yandex', 'yandex']])),
    h('label', {}, 'method', field('method', { placeholder: 'GetCustomer · POST /v1/accounts/*' })),
    h('label', {}, 'error', select({ name: 'code' }, [['', '— (latency only)'], ...['UNAVAILABLE', ...CODES.filter((c) => c !== 'UNAVAILABLE')].map((c) => [c, c])])),
    h('label', {}, 'or HTTP', field('http_status', { type: 'number', min: 400, max: 599, placeholder: '503' })),
    h('label', {}, 'times', field('times', { type: 'number', min: 1, placeholder: '∞' })),
    h('label', {}, 'probability', field('probability', { type: 'number', min: 0, max: 1, step: 0.05, placeholder: '1' })),
    h('label', {}, 'latency ms', field('latency_ms', { type: 'number', min: 0, placeholder: '0' })),
    h('label', {}, 'header', field('header', { placeholder: 'x-test-case: flaky' })),
    h('label', { class: 'span' }, 'message', field('message', { placeholder: 'optional' })),
    h('button', { type: 'submit', id: 'fault-add' }, 'Add rule'));
  faultForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const f = Object.fromEntries(new FormData(faultForm));
    const rule = { match: {} };
    if (f.family) rule.match.family = f.family;
    if (f.method.trim()) rule.match.method = f.method.trim();
    if (f.header.trim()) rule.match.header = f.header.trim();
    if (f.code || f.http_status) {
      rule.error = f.http_status ? { http_status: Number(f.http_status) } : { code: f.code };
      if (f.message.trim()) rule.error.message = f.message.trim();
    }
    for (const k of ['times', 'latency_ms']) if (f[k] !== '') rule[k] = Number(f[k]);
    if (f.probability !== '') rule.probability = Number(f.probability);
    act('add fault', () => api('POST', '/_mock/faults', rule)).then((r) => { if (r) toast(`${r.id} added`); mark('faults'); });
  });
  faultsRoot.append(h('div', { class: 'head' }, h('h3', {}, 'Faults'), muted('rules fire in order; hits counted'),
    h('span', { class: 'grow' }), h('button', { type: 'button', class: 'danger',
      onclick: () => act('faults', () => api('DELETE', '/_mock/faults')).then(() => mark('faults')) }, 'Remove all')),
  faultRows, faultForm);
  const describe = (r) => {
    const m = r.match || {};
    return [m.family, m.method, m.header && `[${m.header}]`].filter(Boolean).join(' ') || 'every request';
  };
  views.faults = {
    async refresh() {
      const { rules } = await api('GET', '/_mock/faults');
      faultRows.replaceChildren(h('table', {}, h('thead', {}, h('tr', {}, ['Rule', 'Match → answer', 'Hits', ''].map((t) => h('th', {}, t)))),
        h('tbody', {}, rules.length ? rules.map((r) => h('tr', { 'data-key': r.id, onclick: (e) => { if (!e.target.closest('button')) inspect(r.id, r); } },
          h('td', {}, h('code', {}, r.id)), h('td', { class: 'match' }, describe(r), ' → ',
            h('b', {}, [r.error ? (r.error.code || `HTTP ${r.error.http_status}`) : '', r.latency_ms ? ` +${r.latency_ms} ms` : '',
              r.probability != null ? ` p=${r.probability}` : ''].join('').trim())),
          h('td', { class: 'num hits' }, r.times != null ? `${r.hits} / ${r.times}` : r.hits),
          h('td', {}, h('button', { type: 'button', class: 'small', 'aria-label': `remove ${r.id}`, title: 'remove',
            onclick: () => act('remove', () => api('DELETE', `/_mock/faults/${enc(r.id)}`)).then(() => mark('faults')) }, '×'))))
          : h('tr', { class: 'empty' }, h('td', { colspan: 4 }, 'no fault rules: every request is answered normally')))));
    },
  };

  // ---------- state: export, import, reset ----------

  $('#export').addEventListener('click', () => act('export', async () => {
    const state = await api('GET', '/_mock/state');
    const url = URL.createObjectURL(new Blob([JSON.stringify(state, null, 2)], { type: 'application/json' }));
    const a = h('a', { href: url, download: `provmock-state-${new Date().toISOString().replace(/[:.]/g, '-')}.json` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }));
  $('#import').addEventListener('change', (e) => {
    const file = e.target.files[0];
    e.target.value = '';
    if (!file) return;
    act('import', async () => {
      await api('PUT', '/_mock/state', await file.text());
      toast(`state replaced from ${file.name}`);
      markAll();
    });
  });
  $('#reset-all').addEventListener('click', confirmClick(() => act('reset', () => api('POST', '/_mock/reset'))
    .then((r) => { if (r) toast('everything reset to the fixtures'); markAll(); })));

  // ---------- the journal ----------

  const journal = (() => {
    const root = $('#journal');
    let rows = []; // newest first
    let live = true;
    const fam = select({ name: 'family', 'aria-label': 'journal family', onchange: () => restart() },
      [['', 'every family'], ['channel', 'channel'], ['cloudidentity', 'cloudidentity'], ['scp', 'scp'], ['yandex', 'yandex']]);
    const text = (name, ph, size) => h('input', { name, placeholder: ph, size, 'aria-label': `journal ${name}`,
      onchange: () => restart() });
    const method = text('method', 'method or RPC', 16);
    const status = text('status', 'status', 5);
    const path = text('path', 'path prefix or glob', 22);
    const liveBox = h('input', { type: 'checkbox', checked: true, onchange: (e) => { live = e.target.checked; if (live) restart(); } });
    const count = muted('');
    const body = h('div', { class: 'scroll tall' });
    const older = h('button', { type: 'button', onclick: () => load('before') }, 'older ›');
    root.replaceChildren(h('div', { class: 'head' }, h('h3', {}, 'Journal'), count, h('span', { class: 'grow' }),
      fam, method, status, path, h('label', {}, liveBox, ' live'),
      h('button', { type: 'button', onclick: () => act('journal', () => api('DELETE', '/_mock/journal')).then(() => restart()) }, 'Clear')),
    body, h('div', { class: 'pager' }, older));
    const query = () => {
      const q = [`family=${fam.value}`, `method=${enc(method.value.trim())}`, `status=${enc(status.value.trim())}`, `path=${enc(path.value.trim())}`];
      return q.join('&');
    };
    const bad = (e) => (e.protocol === 'grpc' ? e.status !== 0 : e.status >= 400);
    const preview = (b) => { if (b == null) return ''; const s = typeof b === 'string' ? b : JSON.stringify(b); return s.length > 90 ? `${s.slice(0, 90)}…` : s; };
    function draw() {
      body.replaceChildren(h('table', {}, h('thead', {}, h('tr', {}, ['#', 'Time', 'Family', 'Method', 'Path', 'Status', 'ms', 'Body (redacted)'].map((t) => h('th', {}, t)))),
        h('tbody', {}, rows.length ? rows.map((e) => h('tr', { 'data-seq': e.seq, class: bad(e) ? 'failed' : '', onclick: () => inspect(`request ${e.seq} · ${e.request_id}`, e) },
          h('td', { class: 'num' }, e.seq), h('td', {}, time(e.time)), h('td', {}, e.family),
          h('td', {}, h('code', {}, e.method.split('/').pop())), h('td', { class: 'path' }, e.path),
          h('td', { class: 'num status' }, e.status, e.protocol === 'grpc' ? muted(' grpc') : ''),
          h('td', { class: 'num' }, e.duration_ms.toFixed(1)), h('td', { class: 'body' }, preview(e.body))))
          : h('tr', { class: 'empty' }, h('td', { colspan: 8 }, 'no requests journaled (control calls are not journaled)')))));
    }
    async function load(how) {
      let url = `/_mock/journal?${query()}&limit=${how === 'after' ? 200 : 50}`;
      if (how === 'after' && rows.length) url += `&after=${rows[0].seq}`;
      if (how === 'before' && rows.length) url += `&before=${rows[rows.length - 1].seq}`;
      const { entries } = await api('GET', url);
      const got = entries.reverse();
      rows = how === 'before' ? rows.concat(got) : how === 'after' ? got.concat(rows) : got;
      if (how === 'after' && rows.length > 500) rows.length = 500;
      if (how !== 'after') older.disabled = got.length < 50;
      const c = await api('GET', `/_mock/journal:count?${query()}`);
      count.textContent = `${c.count} matching`;
      draw();
    }
    let full = true;
    function restart() { full = true; mark('journal'); }
    views.journal = {
      refresh: () => {
        if (!live && !full) return Promise.resolve();
        const how = full || !rows.length ? 'all' : 'after';
        full = false;
        return load(how);
      },
      failed: (e) => body.replaceChildren(h('p', { class: 'error' }, e.message)),
    };
    return { restart };
  })();

  // ---------- live updates ----------

  let source = null;
  let pollTimer = null;
  let retryTimer = null;
  function setLive(on, text) {
    const b = $('#live');
    b.textContent = text || (on ? 'live' : 'offline');
    b.className = `badge ${on ? 'ok' : 'off'}`;
  }
  function poll(on) {
    clearInterval(pollTimer);
    pollTimer = on ? setInterval(() => mark('summary', 'operations', 'faults', 'journal', 'clock', ...worldViews[tab]), 3000) : null;
  }
  function stopLive() {
    if (source) source.close();
    source = null;
    clearTimeout(retryTimer);
    poll(false);
    setLive(false);
  }
  async function connect() {
    if (source) source.close();
    clearTimeout(retryTimer);
    // With --control-token the stream takes an HttpOnly cookie (an EventSource cannot send Authorization).
    if (!(await act('events', () => api('GET', '/_mock/events:ticket')))) { poll(true); retryTimer = setTimeout(connect, 10000); return; }
    const es = new EventSource('/_mock/events');
    source = es;
    es.addEventListener('hello', () => { setLive(true); poll(false); markAll(); });
    es.addEventListener('change', (m) => notice(JSON.parse(m.data)));
    es.addEventListener('resync', () => markAll());
    es.onerror = () => {
      setLive(false, 'polling');
      poll(true);
      if (es.readyState === EventSource.CLOSED) retryTimer = setTimeout(connect, 5000);
    };
  }
  const familyViews = (f) => (f === 'channel' ? [...worldViews.channel, ...worldViews.cloudidentity]
    : f === 'cloudidentity' ? worldViews.cloudidentity : worldViews[f] || []);
  function notice(n) {
    if (n.kind === 'request') {
      mark('journal', 'faults');
      if (n.changed) mark('summary', 'operations', ...familyViews(n.family));
    } else if (n.kind === 'operation') {
      mark('summary', 'operations', ...familyViews(n.family));
    } else if (n.name.startsWith('/_mock/faults')) {
      mark('faults');
    } else if (n.name.startsWith('/_mock/journal')) {
      journal.restart();
    } else if (n.name.startsWith('/_mock/operations/policy')) {
      mark('policy');
    } else {
      // Resets, state imports, operations finished by hand, the clock, invitations: re-read what is shown.
      markAll();
    }
  }

  // ---------- start ----------

  $('#inspector-close').addEventListener('click', () => { $('#inspector').hidden = true; });
  document.addEventListener('keydown', (e) => { if (e.key === 'Escape') $('#inspector').hidden = true; });
  $('#forget').addEventListener('click', () => { sessionStorage.removeItem(TOKEN_KEY); token = ''; location.reload(); });
  $('#login-form').addEventListener('submit', (e) => {
    e.preventDefault();
    token = $('#token-input').value.trim();
    $('#token-input').value = '';
    start();
  });

  async function start() {
    try {
      await loadHealth();
      await views.summary.refresh();
    } catch (e) {
      if (!(e instanceof AuthError)) { $('#login-error').textContent = e.message; toast(e.message, true); }
      return;
    }
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    $('#forget').hidden = !token;
    $('#login').hidden = true;
    $('#app').hidden = false;
    for (const v of worldViews[tab]) views[v].loaded = true;
    markAll();
    connect();
  }
  start();
})();
