// ctihost console: the web page of the host's HTTP/JSON API. Plain
// ES2020, no build step, no dependencies. Every string from the API goes
// into the DOM through textContent or attributes, never as markup.
'use strict';

(() => {
  const EVENT_NAMES = ['callChanged', 'callEnded', 'deviceChanged', 'queueChanged', 'queueStatusChanged',
    'devicesChanged', 'driverChanged', 'callScreened', 'gap'];
  const MAX_EVENTS = 200;
  const SWAP_TAIL_MS = 10000; // driverChanged events still listed after a swap's answer
  const CALL_OPS = [ // [testid, capability, label, verb]
    ['answer', 'CAPABILITY_ANSWER', 'Answer', 'answer'],
    ['hold', 'CAPABILITY_HOLD', 'Hold', 'hold'],
    ['resume', 'CAPABILITY_RESUME', 'Resume', 'resume'],
    ['hangup', 'CAPABILITY_HANGUP', 'Hang up', 'hangup'],
  ];
  const AGENT_OPS = [ // [testid, capability, label, verb]
    ['join-queue', 'CAPABILITY_JOIN_QUEUE', 'Join', 'joinQueue'],
    ['leave-queue', 'CAPABILITY_LEAVE_QUEUE', 'Leave', 'leaveQueue'],
    ['pause-agent', 'CAPABILITY_PAUSE_AGENT', 'Pause', 'pauseAgent'],
    ['unpause-agent', 'CAPABILITY_PAUSE_AGENT', 'Unpause', 'unpauseAgent'],
  ];

  // ---- the store -------------------------------------------------------

  const S = {
    gen: 0, // bumped on sign-in and sign-out: late answers of an old session are dropped
    me: null, // whoami: {client, scopes, sites}
    devices: new Map(), // ref -> {info: Device, state: DeviceState|null, error, loading, pending}
    sites: null, // site names from /v1/sites, or null (fall back to the devices' sites)
    plugins: null, // PluginInstance[], or null while unknown or not allowed
    pluginsAllowed: false,
    pluginsError: '',
    events: [], // newest first: {name, ev, line}
    filter: '',
    swaps: new Map(), // plugin row key -> {driver, site, steps, running, result, failed, until}
    busy: new Set(), // keys of actions in flight
    drafts: new Map(), // data-key -> what the user typed or chose
    rows: new Map(), // ref -> device <tr>
    cards: new Map(), // ref -> queue <article>
    pluginCards: new Map(), // plugin key -> <article>
    es: null,
    lastSeq: 0,
    retry: 0,
    retryTimer: 0,
  };

  // ---- DOM helpers -----------------------------------------------------

  const byId = (id) => document.getElementById(id);

  // h builds an element. attrs: class, text, on<event> handlers, DOM
  // properties (value, disabled, hidden, checked, htmlFor, type), anything
  // else as an attribute (skipped when null, undefined or false).
  function h(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === null || v === undefined || v === false) continue;
        if (k === 'class') e.className = v;
        else if (k === 'text') e.textContent = String(v);
        else if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
        else if (k === 'value' || k === 'disabled' || k === 'hidden' || k === 'checked' || k === 'selected') e[k] = v;
        else e.setAttribute(k, v === true ? '' : String(v));
      }
    }
    append(e, kids);
    return e;
  }

  function append(e, kids) {
    for (const k of kids) {
      if (k === null || k === undefined || k === false || k === '') continue;
      if (Array.isArray(k)) append(e, k);
      else if (k instanceof Node) e.appendChild(k);
      else e.appendChild(document.createTextNode(String(k)));
    }
  }

  // ---- words for enums and values ----------------------------------------

  const enumWord = (v, prefix) => {
    const s = typeof v === 'string' && v.startsWith(prefix) ? v.slice(prefix.length) : '';
    return s && s !== 'UNSPECIFIED' ? s.toLowerCase() : '';
  };
  const spaced = (w) => w.replace(/_/g, ' ');
  const callState = (c) => enumWord(c.state, 'CALL_STATE_') || 'unspecified';
  const driverState = (s) => enumWord(s, 'DRIVER_STATE_') || 'unspecified';
  const kindWord = (k) => enumWord(k, 'DEVICE_KIND_');
  const agentWord = (s) => spaced(enumWord(s, 'AGENT_STATUS_') || 'unknown');
  const dirWord = (d) => enumWord(d, 'CALL_DIRECTION_');

  const siteOf = (ref) => { const i = ref.indexOf('/'); return i < 0 ? '' : ref.slice(0, i); };
  const localId = (ref) => { const i = ref.indexOf('/'); return i < 0 ? ref : ref.slice(i + 1); };
  const devPath = (ref) => `/v1/devices/${encodeURIComponent(siteOf(ref))}/${encodeURIComponent(localId(ref))}`;
  const natural = (a, b) => String(a).localeCompare(String(b), undefined, { numeric: true, sensitivity: 'base' });

  function party(p) {
    if (!p) return '';
    const name = p.name || '', number = p.number || '';
    if (name && number && name !== number) return `${name} (${number})`;
    return name || number;
  }

  // parseTime reads an RFC 3339 time (protojson may write nanoseconds).
  function parseTime(s) {
    if (!s) return NaN;
    return Date.parse(String(s).replace(/(\.\d{3})\d+/, '$1'));
  }

  function duration(ms) {
    let s = Math.max(0, Math.floor(ms / 1000));
    const hh = Math.floor(s / 3600); s -= hh * 3600;
    const mm = Math.floor(s / 60); s -= mm * 60;
    const p2 = (n) => String(n).padStart(2, '0');
    return hh > 0 ? `${hh}:${p2(mm)}:${p2(s)}` : `${mm}:${p2(s)}`;
  }

  function clock(t) {
    const ms = parseTime(t);
    if (!Number.isFinite(ms)) return '--:--:--';
    const d = new Date(ms);
    const p2 = (n) => String(n).padStart(2, '0');
    return `${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`;
  }

  // ---- permissions -----------------------------------------------------

  const hasScope = (scope) => !!S.me && S.me.scopes.includes(scope);
  const hasCap = (d, cap) => Array.isArray(d.info.capabilities) && d.info.capabilities.includes(cap);
  const may = (d, scope, cap) => hasScope(scope) && hasCap(d, cap);
  const unavailable = (d, cap) => {
    const u = d.state && d.state.status && d.state.status.unavailableOperations;
    return Array.isArray(u) && u.includes(cap);
  };

  // ---- the API ---------------------------------------------------------

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  async function api(method, path, body) {
    const init = { method, credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } };
    if (method !== 'GET') {
      init.headers['X-CTIHost-Console'] = '1';
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body === undefined ? {} : body);
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (err) {
      throw new ApiError(0, 14, `the host did not answer (${err.message})`);
    }
    const text = await res.text().catch(() => '');
    let data = null;
    if (text) {
      try { data = JSON.parse(text); } catch { data = null; }
    }
    if (!res.ok) {
      const msg = data && typeof data.message === 'string' && data.message ? data.message : `HTTP ${res.status} ${res.statusText}`.trim();
      const code = data && typeof data.code === 'number' ? data.code : 0;
      if (res.status === 401 && path.startsWith('/v1/')) sessionEnded();
      throw new ApiError(res.status, code, msg);
    }
    return data || {};
  }

  // ---- the error region ------------------------------------------------

  function showError(what, err) {
    const msg = err instanceof ApiError || err instanceof Error ? err.message : String(err);
    const code = err && err.code ? ` (code ${err.code})` : '';
    byId('error').textContent = `${what}: ${msg}${code}`;
    byId('error-dismiss').hidden = false;
  }

  function clearError() {
    byId('error').textContent = '';
    byId('error-dismiss').hidden = true;
  }

  // ---- rendering, throttled to one frame --------------------------------

  const dirty = { all: false, refs: new Set(), plugins: false, events: false };
  let frame = 0;

  function schedule() {
    if (!frame) frame = requestAnimationFrame(flush);
  }
  function markAll() { dirty.all = true; schedule(); }
  function markDevice(ref) { dirty.refs.add(ref); schedule(); }
  function markPlugins() { dirty.plugins = true; schedule(); }
  function markEvents() { dirty.events = true; schedule(); }

  function flush() {
    frame = 0;
    if (!S.me) return;
    const active = document.activeElement;
    const key = active && active.dataset ? active.dataset.key : undefined;
    const sel = active && typeof active.selectionStart === 'number' ? [active.selectionStart, active.selectionEnd] : null;

    let all = dirty.all;
    if (!all) {
      for (const ref of dirty.refs) {
        if (!updateDevice(ref)) { all = true; break; }
      }
    }
    if (all) {
      renderDevices();
      renderQueues();
    }
    if (dirty.plugins) renderPlugins();
    if (dirty.events) renderEvents();
    dirty.all = false;
    dirty.refs.clear();
    dirty.plugins = false;
    dirty.events = false;

    // Keep the keyboard focus on the control the user was on.
    if (key && active && (document.activeElement !== active || !active.isConnected)) {
      const again = [...document.querySelectorAll('[data-key]')].find((e) => e.dataset.key === key);
      if (again) {
        again.focus({ preventScroll: true });
        if (sel && typeof again.setSelectionRange === 'function') {
          try { again.setSelectionRange(sel[0], sel[1]); } catch { /* not a text input */ }
        }
      }
    }
  }

  // updateDevice replaces one device's row (and queue card); false when
  // the list itself changed and needs a full render.
  function updateDevice(ref) {
    const d = S.devices.get(ref);
    const row = S.rows.get(ref);
    if (!d || !row || !row.isConnected) return false;
    morph(row, deviceRow(d));
    if (isQueue(d)) {
      const card = S.cards.get(ref);
      if (!card || !card.isConnected) return false;
      morph(card, queueCard(d));
    }
    return true;
  }

  // morph makes old look like next, keeping old itself (its identity in
  // the page: a row or card stays the same element across updates).
  function morph(old, next) {
    for (const a of [...old.attributes]) if (!next.hasAttribute(a.name)) old.removeAttribute(a.name);
    for (const a of [...next.attributes]) if (old.getAttribute(a.name) !== a.value) old.setAttribute(a.name, a.value);
    old.replaceChildren(...next.childNodes);
    return old;
  }

  // reuse returns the element to show for key: the one shown before,
  // updated, or next itself.
  function reuse(prev, key, next) {
    const old = prev.get(key);
    return old ? morph(old, next) : next;
  }

  const isQueue = (d) => d.info.kind === 'DEVICE_KIND_QUEUE';

  // ---- devices ---------------------------------------------------------

  function renderDevices() {
    const root = byId('devices');
    const prev = new Map(S.rows);
    S.rows.clear();
    const bySite = new Map();
    for (const name of S.sites || []) bySite.set(name, []);
    for (const d of S.devices.values()) {
      const site = d.info.site || siteOf(d.info.device);
      if (!bySite.has(site)) bySite.set(site, []);
      bySite.get(site).push(d);
    }
    const out = [];
    if (bySite.size === 0) out.push(h('p', { class: 'muted', text: S.loaded ? 'No devices.' : 'Loading…' }));
    for (const site of [...bySite.keys()].sort(natural)) {
      const list = bySite.get(site).sort((a, b) => natural(localId(a.info.device), localId(b.info.device)));
      const headId = `site-${out.length}`;
      const sec = h('section', { class: 'site', 'data-testid': 'site', 'data-site': site, 'aria-labelledby': headId },
        h('h3', { id: headId }, site || '(no site)', h('span', { class: 'count', text: ` ${list.length} device${list.length === 1 ? '' : 's'}` })));
      if (list.length === 0) {
        sec.append(h('p', { class: 'muted', text: 'No devices.' }));
      } else {
        const tbody = h('tbody');
        for (const d of list) {
          const row = reuse(prev, d.info.device, deviceRow(d));
          S.rows.set(d.info.device, row);
          tbody.append(row);
        }
        sec.append(h('div', { class: 'table-wrap' },
          h('table', { class: 'devices' },
            h('caption', { class: 'vh', text: `Devices of site ${site}` }),
            h('thead', null, h('tr', null, ['Device', 'Status', 'DND', 'Forwarding', 'Calls', 'Queues', 'Dial'].map((t) => h('th', { scope: 'col', class: `col-${t.toLowerCase()}`, text: t })))),
            tbody)));
      }
      out.push(sec);
    }
    root.replaceChildren(...out);
  }

  // td is one cell; its content sits in one box so that the phone layout
  // (label beside content) has two columns, and an empty cell stays empty.
  const td = (label, ...kids) => {
    const some = kids.flat(Infinity).filter((k) => k !== null && k !== undefined && k !== false && k !== '');
    return h('td', { 'data-label': label }, some.length ? h('div', { class: 'cell' }, some) : null);
  };

  function deviceRow(d) {
    const info = d.info;
    const ref = info.device;
    const st = d.state;
    const status = (st && st.status) || {};
    const tr = h('tr', {
      'data-testid': 'device', 'data-device': ref, 'data-kind': kindWord(info.kind) || 'unspecified',
      class: st && !status.reachable ? 'unreachable' : '',
    });
    tr.append(
      td('Device',
        h('div', { class: 'dev-id', text: localId(ref) }),
        info.name ? h('div', { class: 'dev-name', text: info.name }) : null,
        h('div', { class: 'muted small', text: [...new Set([info.model || (st && st.model), kindWord(info.kind), info.driver].filter(Boolean))].join(' · ') })),
      td('Status', statusCell(d, status)),
      td('DND', dndCell(d, status)),
      td('Forwarding', forwardCell(status)),
      td('Calls', callsCell(d)),
      td('Queues', agentCell(d)),
      td('Dial', dialCell(d)),
    );
    return tr;
  }

  function statusCell(d, status) {
    const st = d.state;
    if (!st) {
      if (d.error) return h('span', { class: 'warn', text: `state unavailable: ${d.error}` });
      return h('span', { class: 'muted', text: 'loading…' });
    }
    const reg = enumWord(status.registration, 'REGISTRATION_');
    const presence = enumWord(status.presence, 'PRESENCE_');
    const parts = [
      h('span', { class: `badge ${status.reachable ? 'ok' : 'bad'}`, 'data-testid': 'reachable', text: status.reachable ? 'reachable' : 'unreachable' }),
      reg ? h('span', { class: `badge ${reg === 'registered' ? 'ok' : 'bad'}`, 'data-testid': 'registration', text: reg }) : null,
      presence ? h('span', { class: 'badge', text: presence }) : null,
    ];
    const extra = [];
    if (status.detail) extra.push(h('div', { class: 'small muted', text: status.detail }));
    if (status.presenceNote) extra.push(h('div', { class: 'small', text: `note: ${status.presenceNote}` }));
    if (status.station) extra.push(h('div', { class: 'small', text: `station ${status.station}` }));
    if (status.voicemail && Number(status.voicemail.newMessages) > 0) extra.push(h('div', { class: 'small', text: `${status.voicemail.newMessages} new voicemail` }));
    if (d.error) extra.push(h('div', { class: 'small warn', text: `refresh failed: ${d.error}` }));
    return h('div', { class: 'status' }, h('div', { class: 'badges' }, parts), extra);
  }

  function dndCell(d, status) {
    const ref = d.info.device;
    const on = status.dnd === true;
    const known = typeof status.dnd === 'boolean';
    const parts = [h('span', { class: `dnd-state ${on ? 'on' : ''}`, 'data-testid': 'dnd-state', text: known ? (on ? 'on' : 'off') : '—' })];
    if (may(d, 'calls', 'CAPABILITY_SET_DND')) {
      const key = `dnd|${ref}`;
      parts.push(h('button', {
        type: 'button', class: `toggle ${on ? 'on' : ''}`, 'data-testid': 'dnd', 'data-key': key,
        'aria-pressed': on ? 'true' : 'false', 'aria-disabled': S.busy.has(key) ? 'true' : null,
        disabled: unavailable(d, 'CAPABILITY_SET_DND') || !d.state,
        title: on ? 'Do not disturb is on: switch it off' : 'Switch do not disturb on',
        text: 'DND',
        onclick: () => act(key, on ? 'Switching DND off' : 'Switching DND on', ref,
          () => api('PUT', `${devPath(ref)}/dnd`, { enabled: !on }), true),
      }));
    }
    return h('div', { class: 'inline' }, parts);
  }

  function forwardCell(status) {
    const fw = Array.isArray(status.forwards) ? status.forwards : [];
    if (fw.length === 0) return h('span', { class: 'muted', text: 'none' });
    return h('ul', { class: 'plain', 'data-testid': 'forwards' },
      fw.map((f) => h('li', { text: `${spaced(enumWord(f.mode, 'FORWARD_MODE_') || 'forward')} → ${f.destination || '?'}` })));
  }

  function callsCell(d) {
    const calls = (d.state && d.state.calls) || [];
    if (calls.length === 0) return h('span', { class: 'muted', text: d.state ? 'no calls' : '' });
    return h('ul', { class: 'calls' }, calls.map((c) => callItem(d, c, 'call', true)));
  }

  function callItem(d, c, testid, withActions) {
    const ref = d.info.device;
    const state = callState(c);
    const dir = dirWord(c.direction);
    const since = c.connectedAt || c.startedAt;
    const li = h('li', { class: `call state-${state}`, 'data-testid': testid, 'data-device': ref, 'data-call-id': c.callId || '', 'data-state': state });
    const head = h('div', { class: 'call-head' },
      h('span', { class: `badge call-state state-${state}`, text: spaced(state) }), ' ',
      dir ? [h('span', { class: 'dir', title: dir, text: dir === 'inbound' ? '← in' : dir === 'outbound' ? '→ out' : dir }), ' '] : null,
      h('span', { class: 'remote', 'data-testid': 'remote', text: party(c.remote) || 'unknown party' }), ' ',
      since ? h('span', { class: 'dur', 'data-testid': 'call-duration', 'data-since': since, text: duration(Date.now() - parseTime(since)) }) : null);
    li.append(head);
    const more = [];
    if (c.contact && (c.contact.name || c.contact.company)) {
      more.push(h('div', { class: 'contact', 'data-testid': 'call-contact', title: c.contact.source || '' },
        [c.contact.name, c.contact.company].filter(Boolean).join(' · '),
        c.contact.source ? h('span', { class: 'muted', text: ` (${c.contact.source})` }) : null));
    }
    const notes = [];
    if (c.queue && (c.queue.name || c.queue.queue)) notes.push(`via queue ${c.queue.name || c.queue.queue}`);
    if (c.originalCalled && party(c.originalCalled)) notes.push(`for ${party(c.originalCalled)}`);
    if (c.dialedNumber) notes.push(`dialled ${c.dialedNumber}`);
    if (c.line) notes.push(`line ${c.line}`);
    if (c.parkSlot) notes.push(`parked in ${c.parkSlot}`);
    if (c.muted) notes.push('muted');
    if (c.recording === 'RECORDING_STATE_ON') notes.push('recording');
    if (notes.length) more.push(h('div', { class: 'small muted', text: notes.join(' · ') }));
    li.append(...more);
    if (withActions && c.callId) {
      const buttons = [];
      for (const [testid2, cap, label, verb] of CALL_OPS) {
        if (!may(d, 'calls', cap) || !fitsState(verb, c.state)) continue;
        const key = `${testid2}|${ref}|${c.callId}`;
        buttons.push(h('button', {
          type: 'button', class: `small ${testid2 === 'hangup' ? 'danger' : ''}`, 'data-testid': testid2, 'data-key': key,
          'aria-disabled': S.busy.has(key) ? 'true' : null, disabled: unavailable(d, cap), text: label,
          onclick: () => act(key, `${label} (${party(c.remote) || c.callId})`, ref,
            () => api('POST', `${devPath(ref)}/calls/${encodeURIComponent(c.callId)}:${verb}`, {})),
        }));
      }
      if (buttons.length) li.append(h('div', { class: 'actions' }, buttons));
    }
    return li;
  }

  // fitsState says whether a call command makes sense in the call's
  // state: answer a ringing call, hold a connected one, resume a held one;
  // hang up any.
  function fitsState(verb, state) {
    switch (verb) {
      case 'answer': return state === 'CALL_STATE_RINGING';
      case 'hold': return state === 'CALL_STATE_CONNECTED';
      case 'resume': return state === 'CALL_STATE_HELD';
      default: return true;
    }
  }

  // queueChoices are the queues an agent device can join: the queue
  // devices of its site (by device id, which the drivers accept) and the
  // queues it is a member of.
  function queueChoices(d) {
    const site = siteOf(d.info.device);
    const out = [];
    const ids = [];
    for (const q of S.devices.values()) {
      if (!isQueue(q) || siteOf(q.info.device) !== site) continue;
      const id = localId(q.info.device);
      ids.push(id);
      out.push({ value: id, label: q.info.name && q.info.name !== id ? `${q.info.name} (${id})` : id });
    }
    const known = (m) => ids.some((id) => id === m || (id.endsWith(m) && !/[0-9]/.test(id.charAt(id.length - m.length - 1))));
    for (const m of (d.state && d.state.queues) || []) {
      if (m.queue && !known(m.queue)) {
        ids.push(m.queue);
        out.push({ value: m.queue, label: m.name && m.name !== m.queue ? `${m.name} (${m.queue})` : m.queue });
      }
    }
    return out.sort((a, b) => natural(a.label, b.label));
  }

  function agentCell(d) {
    if (isQueue(d)) return null;
    const ref = d.info.device;
    const parts = [];
    const ms = ((d.state && d.state.queues) || []).filter((m) => m.status !== 'AGENT_STATUS_LOGGED_OUT');
    if (ms.length) {
      parts.push(h('ul', { class: 'plain' }, ms.map((m) => h('li', {
        'data-testid': 'membership', 'data-queue': m.queue || '', 'data-status': enumWord(m.status, 'AGENT_STATUS_') || 'unspecified',
        text: `${m.name || m.queue}: ${agentWord(m.status)}${m.pauseReason ? ` (${m.pauseReason})` : ''}`,
      }))));
    }
    const ops = AGENT_OPS.filter(([, cap]) => may(d, 'calls', cap));
    if (ops.length) {
      const choices = queueChoices(d);
      const selKey = `queue-select|${ref}`;
      let field;
      if (choices.length) {
        const chosen = S.drafts.has(selKey) && choices.some((c) => c.value === S.drafts.get(selKey)) ? S.drafts.get(selKey) : choices[0].value;
        field = h('select', { 'data-testid': 'queue-select', 'data-key': selKey, 'data-draft': selKey },
          choices.map((c) => h('option', { value: c.value, text: c.label })));
        field.value = chosen;
      } else {
        field = h('input', { type: 'text', 'data-testid': 'queue-input', 'data-key': selKey, 'data-draft': selKey, value: S.drafts.get(selKey) || '', placeholder: 'queue', autocomplete: 'off' });
      }
      const form = h('div', { class: 'agent' },
        h('label', { class: 'field' }, h('span', { class: 'vh', text: 'Queue' }), field),
        h('div', { class: 'actions' }, ops.map(([testid, cap, label, verb]) => {
          const key = `${testid}|${ref}`;
          return h('button', {
            type: 'button', class: 'small', 'data-testid': testid, 'data-key': key, text: label,
            'aria-disabled': S.busy.has(key) ? 'true' : null, disabled: unavailable(d, cap),
            onclick: () => {
              const queue = String(field.value || '').trim();
              if (!queue && verb !== 'pauseAgent' && verb !== 'unpauseAgent') {
                showError(`${label} queue`, new Error('choose a queue'));
                field.focus();
                return;
              }
              act(key, `${label} queue ${queue}`.trim(), ref, () => api('POST', `${devPath(ref)}:${verb}`, { queue }), true);
            },
          });
        })));
      parts.push(form);
    }
    return parts.length ? parts : null;
  }

  function dialCell(d) {
    if (!may(d, 'calls', 'CAPABILITY_DIAL')) return null;
    const ref = d.info.device;
    const key = `dial-input|${ref}`;
    const bkey = `dial|${ref}`;
    const input = h('input', {
      type: 'tel', inputmode: 'tel', autocomplete: 'off', required: true, placeholder: 'Number',
      'data-testid': 'dial-input', 'data-key': key, 'data-draft': key, value: S.drafts.get(key) || '',
    });
    return h('form', {
      class: 'dial',
      onsubmit: (e) => {
        e.preventDefault();
        const destination = input.value.trim();
        if (!destination) { input.focus(); return; }
        act(bkey, `Dialling ${destination}`, ref, async () => {
          await api('POST', `${devPath(ref)}:dial`, { destination });
          S.drafts.delete(key);
        });
      },
    },
    h('label', { class: 'field' }, h('span', { class: 'vh', text: 'Number to dial' }), input),
    h('button', { type: 'submit', class: 'small', 'data-testid': 'dial', 'data-key': bkey, 'aria-disabled': S.busy.has(bkey) ? 'true' : null, disabled: unavailable(d, 'CAPABILITY_DIAL'), text: 'Dial' }));
  }

  // act runs one action: its button is marked busy meanwhile, its error
  // goes to the alert region. refresh re-reads the device afterwards.
  async function act(key, what, ref, fn, refresh) {
    if (S.busy.has(key)) return;
    const gen = S.gen;
    clearError();
    S.busy.add(key);
    if (ref) markDevice(ref); else markPlugins();
    try {
      await fn();
      if (refresh && ref && gen === S.gen) loadState(ref);
    } catch (err) {
      if (gen === S.gen && !(err instanceof ApiError && err.status === 401)) showError(`${what} failed`, err);
    } finally {
      S.busy.delete(key);
      if (gen === S.gen) {
        if (ref && S.devices.has(ref)) markDevice(ref); else markPlugins();
      }
    }
  }

  // ---- queues ----------------------------------------------------------

  const SERVICE_MODES = { QUEUE_SERVICE_MODE_IN_SERVICE: 'in service', QUEUE_SERVICE_MODE_NIGHT_SERVICE: 'night service', QUEUE_SERVICE_MODE_OUT_OF_SERVICE: 'out of service' };

  function renderQueues() {
    const root = byId('queues');
    const prev = new Map(S.cards);
    S.cards.clear();
    const qs = [...S.devices.values()].filter(isQueue).sort((a, b) => natural(a.info.device, b.info.device));
    if (qs.length === 0) {
      root.replaceChildren(h('p', { class: 'muted', text: S.loaded ? 'No queues.' : 'Loading…' }));
      return;
    }
    root.replaceChildren(...qs.map((d) => {
      const card = reuse(prev, d.info.device, queueCard(d));
      S.cards.set(d.info.device, card);
      return card;
    }));
  }

  function queueCard(d) {
    const ref = d.info.device;
    const st = d.state;
    const qs = (st && st.queueStatus) || null;
    const calls = (st && st.calls) || [];
    const waiting = qs ? Number(qs.waitingCalls || 0) : calls.filter((c) => c.state === 'CALL_STATE_QUEUED').length;
    const members = (qs && qs.members) || [];
    const mode = qs ? SERVICE_MODES[qs.serviceMode] || 'unknown' : 'unknown';
    const card = h('article', { class: 'card queue', 'data-testid': 'queue', 'data-device': ref, 'data-waiting': waiting },
      h('h3', null, d.info.name || localId(ref), h('span', { class: 'muted small', text: ` ${ref}` })));
    if (!st) {
      card.append(h('p', { class: d.error ? 'warn' : 'muted', text: d.error ? `state unavailable: ${d.error}` : 'loading…' }));
      return card;
    }
    card.append(h('dl', { class: 'facts' },
      h('dt', { text: 'Service' }), h('dd', null, h('span', { class: `badge ${mode === 'in service' ? 'ok' : mode === 'unknown' ? '' : 'bad'}`, 'data-testid': 'queue-mode', text: mode })),
      qs && qs.ringMode ? [h('dt', { text: 'Ringing' }), h('dd', { text: qs.ringMode })] : null,
      h('dt', { text: 'Waiting' }), h('dd', null, h('strong', { 'data-testid': 'queue-waiting', text: String(waiting) }), waiting === 1 ? ' call' : ' calls'),
      h('dt', { text: 'Members' }), h('dd', { text: String(members.length) })));
    card.append(h('h4', { text: 'Members' }));
    if (members.length === 0) card.append(h('p', { class: 'muted small', text: 'No members reported.' }));
    else {
      card.append(h('ul', { class: 'members' }, members.map((m) => {
        const w = enumWord(m.status, 'AGENT_STATUS_') || 'unspecified';
        const who = m.name && m.member && m.name !== m.member ? `${m.name} (${m.member})` : m.name || m.member || m.device || '?';
        return h('li', { 'data-testid': 'queue-member', 'data-member': m.member || '', 'data-status': w },
          h('span', { text: who }), h('span', { class: `badge agent-${w}`, text: spaced(w) }));
      })));
    }
    card.append(h('h4', { text: `Calls (${calls.length})` }));
    if (calls.length === 0) card.append(h('p', { class: 'muted small', text: 'No calls waiting.' }));
    else card.append(h('ul', { class: 'calls' }, calls.map((c) => callItem(d, c, 'queue-call', false))));
    return card;
  }

  // ---- plugins ---------------------------------------------------------

  const pluginKey = (p) => `${p.site || ''}/${p.driver || ''}`;

  function renderPlugins() {
    const sec = byId('plugins-section');
    const show = S.pluginsAllowed;
    sec.hidden = !show;
    byId('nav-plugins').hidden = !show;
    if (!show) return;
    const root = byId('plugins');
    if (S.plugins === null) {
      root.replaceChildren(h('p', { class: S.pluginsError ? 'warn' : 'muted', text: S.pluginsError || 'Loading…' }));
      return;
    }
    if (S.plugins.length === 0) {
      root.replaceChildren(h('p', { class: 'muted', text: 'No plugin instances.' }));
      return;
    }
    const prev = S.pluginCards;
    S.pluginCards = new Map();
    root.replaceChildren(...S.plugins.map((p) => {
      const card = reuse(prev, pluginKey(p), pluginCard(p));
      S.pluginCards.set(pluginKey(p), card);
      return card;
    }));
  }

  function pluginCard(p) {
    const state = driverState(p.state);
    const key = pluginKey(p);
    const sites = Array.isArray(p.sites) ? p.sites : [];
    const where = p.site ? p.site : `shared${sites.length ? `: ${sites.join(', ')}` : ''}`;
    const sha = p.sha256 || '';
    const running = state === 'running' || state === 'restarted' || state === 'swapped' || state === 'starting';
    const card = h('article', { class: `card plugin state-${state}`, 'data-testid': 'plugin', 'data-site': p.site || '', 'data-driver': p.driver || '', 'data-state': state },
      h('h3', null, p.driver || '?', h('span', { class: 'muted small', text: ` ${where}` })));
    const uptime = running && p.startedAt
      ? h('span', { 'data-since': p.startedAt, text: duration(Date.now() - parseTime(p.startedAt)) })
      : running && p.uptimeSeconds ? duration(Number(p.uptimeSeconds) * 1000) : '—';
    const devices = `${Number(p.devices || 0)}${Number(p.discoveredDevices || 0) ? ` (${Number(p.discoveredDevices)} discovered)` : ''}`;
    card.append(h('dl', { class: 'facts' },
      h('dt', { text: 'State' }), h('dd', null, h('span', { class: `badge drv-${state}`, 'data-testid': 'plugin-state', text: spaced(state) })),
      h('dt', { text: 'Version' }), h('dd', { 'data-testid': 'plugin-version', text: p.version || '—' }),
      h('dt', { text: 'PID' }), h('dd', { 'data-testid': 'plugin-pid', text: Number(p.pid || 0) ? String(p.pid) : '—' }),
      h('dt', { text: 'Restarts' }), h('dd', { text: `${Number(p.restarts || 0)}${Number(p.recentCrashes || 0) ? ` (${Number(p.recentCrashes)} recent crashes)` : ''}` }),
      h('dt', { text: 'Uptime' }), h('dd', null, uptime),
      h('dt', { text: 'SHA-256' }), h('dd', null, sha ? h('code', { title: sha, text: sha.slice(0, 12) }) : '—'),
      h('dt', { text: 'Devices' }), h('dd', { text: devices }),
      Number(p.swaps || 0) || Number(p.rollbacks || 0) ? [h('dt', { text: 'Swaps' }), h('dd', { text: `${Number(p.swaps || 0)} (${Number(p.rollbacks || 0)} rolled back)` })] : null,
      p.binary ? [h('dt', { text: 'Binary' }), h('dd', null, h('code', { class: 'path', text: p.binary }))] : null,
      h('dt', { text: 'Last error' }), h('dd', { class: p.lastError ? 'warn' : 'muted', 'data-testid': 'plugin-error', text: p.lastError || 'none' })));

    if (hasScope('admin')) {
      const actions = h('div', { class: 'plugin-actions' });
      if (state === 'crash_loop' || state === 'down') {
        const rkey = `restart|${key}`;
        actions.append(h('button', {
          type: 'button', class: 'danger', 'data-testid': 'restart', 'data-key': rkey, text: 'Restart',
          'aria-disabled': S.busy.has(rkey) ? 'true' : null,
          onclick: () => act(rkey, `Restarting ${p.driver}${p.site ? ` at ${p.site}` : ''}`, null, async () => {
            await api('POST', '/v1/plugins:restart', { site: p.site || sites[0] || '', driver: p.driver });
            loadPlugins();
          }),
        }));
      }
      const bkey = `swap-binary|${key}`;
      const skey = `swap|${key}`;
      const swap = S.swaps.get(key);
      const input = h('input', {
        type: 'text', autocomplete: 'off', spellcheck: 'false', placeholder: p.binary || '/path/to/cti-driver',
        'data-testid': 'swap-binary', 'data-key': bkey, 'data-draft': bkey, value: S.drafts.get(bkey) || '',
      });
      actions.append(h('form', {
        class: 'swap-form',
        onsubmit: (e) => {
          e.preventDefault();
          startSwap(p, input.value.trim());
        },
      },
      h('label', { class: 'field' }, h('span', { class: 'label', text: 'New driver binary' }), input),
      h('button', { type: 'submit', 'data-testid': 'swap', 'data-key': skey, text: swap && swap.running ? 'Swapping…' : 'Swap', 'aria-disabled': swap && swap.running ? 'true' : null })));
      card.append(actions);
    }

    const swap = S.swaps.get(key);
    if (swap) {
      // The steps: the request, the instance's driverChanged events as
      // they come, then the host's answer (or a placeholder while it runs).
      const stepText = (s) => [clock(s.time), s.site, spaced(s.state), s.version ? `v${String(s.version).replace(/^v/, '')}` : '',
        Number(s.pid || 0) ? `pid ${s.pid}` : '', s.reason ? `— ${s.reason}` : ''].filter(Boolean).join(' ');
      const items = [
        h('li', { 'data-testid': 'swap-step', 'data-state': 'requested', class: 'step-request',
          text: `${clock(swap.requested)} swap requested: ${swap.binary || 'the configured binary'}${swap.site ? ` at ${swap.site}` : ''}` }),
        ...swap.steps.map((s) => h('li', { 'data-testid': 'swap-step', 'data-state': s.state, text: stepText(s) })),
      ];
      if (swap.running) {
        items.push(h('li', { class: 'step-wait muted', 'aria-hidden': 'true', text: 'waiting for the host…' }));
      } else {
        items.push(h('li', { 'data-testid': 'swap-step', 'data-state': swap.failed ? 'failed' : 'done', 'data-result': swap.failed ? 'failed' : 'ok',
          class: `step-result ${swap.failed ? 'warn' : ''}`, text: `${clock(swap.answered)} ${swap.result}` }));
      }
      card.append(h('div', { class: 'swap', 'data-testid': 'swap-progress' },
        h('h4', { text: swap.running ? 'Swap in progress' : 'Last swap' }),
        h('ol', { class: 'steps', 'aria-live': 'polite' }, items)));
    }
    return card;
  }

  async function startSwap(p, binary) {
    const key = pluginKey(p);
    const cur = S.swaps.get(key);
    if (cur && cur.running) return;
    const gen = S.gen;
    const swap = { driver: p.driver, site: p.site || '', binary, steps: [], running: true, result: '', failed: false, until: 0,
      requested: new Date().toISOString(), answered: '' };
    S.swaps.set(key, swap);
    clearError();
    markPlugins();
    const body = { driver: p.driver, binary, sites: p.site ? [p.site] : [] };
    try {
      const res = await api('POST', '/v1/plugins:swap', body);
      const done = Array.isArray(res.plugins) ? res.plugins : [];
      const ms = Array.isArray(res.durationsMs) ? res.durationsMs : [];
      swap.result = done.length
        ? 'Swapped: ' + done.map((q, i) => `${q.site || 'shared'} now ${q.version ? 'v' + String(q.version).replace(/^v/, '') : 'running'}${Number(q.pid || 0) ? ` pid ${q.pid}` : ''}${ms[i] !== undefined ? ` in ${ms[i]} ms` : ''}`).join('; ')
        : 'Swapped.';
      S.drafts.delete(`swap-binary|${key}`);
    } catch (err) {
      swap.failed = true;
      swap.result = `Swap failed: ${err.message}${err.code ? ` (code ${err.code})` : ''}`;
      if (gen === S.gen) showError(`Swapping ${p.driver}`, err);
    } finally {
      swap.running = false;
      swap.answered = new Date().toISOString();
      swap.until = Date.now() + SWAP_TAIL_MS;
      if (gen === S.gen) {
        loadPlugins();
        markPlugins();
      }
    }
  }

  // ---- the event tail --------------------------------------------------

  function summary(name, ev) {
    const p = ev[name] || {};
    switch (name) {
      case 'callChanged':
      case 'callEnded': {
        const c = p.call || {};
        const bits = [spaced(callState(c)), dirWord(c.direction), party(c.remote), c.callId ? `#${c.callId}` : ''];
        if (name === 'callEnded') {
          bits.push(spaced(enumWord(p.reason, 'END_REASON_')));
          const by = enumWord(p.endedBy, 'ENDED_BY_');
          if (by) bits.push(`by ${by}`);
        }
        if (c.contact && c.contact.name) bits.push(`(${c.contact.name})`);
        return bits.filter(Boolean).join(' ');
      }
      case 'deviceChanged': {
        const s = p.status || {};
        const bits = [s.reachable ? 'reachable' : 'unreachable', enumWord(s.registration, 'REGISTRATION_')];
        if (typeof s.dnd === 'boolean') bits.push(`dnd ${s.dnd ? 'on' : 'off'}`);
        const fw = Array.isArray(s.forwards) ? s.forwards.length : 0;
        if (fw) bits.push(`${fw} forward${fw === 1 ? '' : 's'}`);
        bits.push(enumWord(s.presence, 'PRESENCE_'));
        return bits.filter(Boolean).join(' ');
      }
      case 'queueChanged': {
        const m = p.membership || {};
        return `${m.name || m.queue || '?'} ${agentWord(m.status)}`;
      }
      case 'queueStatusChanged': {
        const s = p.status || {};
        return `${SERVICE_MODES[s.serviceMode] || 'mode unknown'}, ${Number(s.waitingCalls || 0)} waiting, ${(s.members || []).length} members`;
      }
      case 'devicesChanged': {
        const a = (p.added || []).map((x) => x.device);
        const r = p.removed || [];
        return [a.length ? `added ${a.join(', ')}` : '', r.length ? `removed ${r.join(', ')}` : ''].filter(Boolean).join('; ') || 'no change';
      }
      case 'driverChanged':
        return [p.driver, spaced(driverState(p.state)), p.version ? `v${String(p.version).replace(/^v/, '')}` : '', Number(p.pid || 0) ? `pid ${p.pid}` : '', p.reason ? `— ${p.reason}` : ''].filter(Boolean).join(' ');
      case 'callScreened': {
        const c = p.call || {};
        return [party(c.remote), enumWord(p.action, 'SCREENING_ACTION_'), p.destination ? `→ ${p.destination}` : '', p.rule ? `rule ${p.rule}` : '', p.timedOut ? 'timed out' : '', p.error ? `error: ${p.error}` : ''].filter(Boolean).join(' ');
      }
      case 'gap':
        return `events ${p.fromSequence || '?'}–${p.toSequence || '?'} lost: ${p.reason || ''}; reloading`;
      default:
        return '';
    }
  }

  function renderEvents() {
    const root = byId('events');
    const f = S.filter.trim().toLowerCase();
    const shown = f ? S.events.filter((e) => e.line.toLowerCase().includes(f)) : S.events;
    root.replaceChildren(...shown.map((e) => h('li', {
      class: `event kind-${e.name}`, 'data-testid': 'event', 'data-kind': e.name, 'data-sequence': e.ev.sequence || '',
    },
    h('time', { datetime: e.ev.time || '', text: clock(e.ev.time) }), ' ',
    h('span', { class: 'seq', text: e.ev.sequence ? `#${e.ev.sequence}` : '#—' }), ' ',
    h('span', { class: 'edev', text: e.ev.device || e.ev.site || 'host' }), ' ',
    h('span', { class: 'ekind', text: e.name }), ' ',
    h('span', { class: 'esum', text: e.sum }))));
    byId('event-count').textContent = f ? `${shown.length} of ${S.events.length}` : `${S.events.length}`;
  }

  // ---- applying events to the store ----------------------------------------

  function onEvent(e) {
    if (e.target !== S.es) return;
    let ev;
    try { ev = JSON.parse(e.data); } catch { return; }
    if (!ev || typeof ev !== 'object') return;
    const name = e.type;
    if (e.lastEventId) {
      const n = Number(e.lastEventId);
      if (Number.isFinite(n) && n > S.lastSeq) S.lastSeq = n;
    }
    setLive('live');
    S.retry = 0;
    const sum = summary(name, ev);
    const line = [clock(ev.time), ev.sequence ? `#${ev.sequence}` : '', ev.device || ev.site || 'host', name, sum].join(' ');
    S.events.unshift({ name, ev, sum, line });
    if (S.events.length > MAX_EVENTS) S.events.length = MAX_EVENTS;
    markEvents();
    applyEvent(name, ev);
  }

  function applyEvent(name, ev) {
    switch (name) {
      case 'gap':
        resync();
        return;
      case 'devicesChanged':
        devicesChanged(ev.devicesChanged || {});
        return;
      case 'driverChanged':
        driverChanged(ev);
        return;
      case 'callScreened':
        return;
    }
    const ref = ev.device;
    const d = ref && S.devices.get(ref);
    if (!d) return;
    if (d.loading) { d.pending.push([name, ev]); return; }
    if (!d.state) { loadState(ref); return; }
    applyToState(d.state, name, ev);
    markDevice(ref);
  }

  function applyToState(st, name, ev) {
    const p = ev[name] || {};
    switch (name) {
      case 'callChanged': {
        const c = p.call;
        if (!c || !c.callId) return;
        const i = st.calls.findIndex((x) => x.callId === c.callId);
        if (c.state === 'CALL_STATE_ENDED' || c.state === 'CALL_STATE_FAILED') {
          if (i >= 0) st.calls.splice(i, 1);
        } else if (i >= 0) st.calls[i] = c;
        else st.calls.push(c);
        return;
      }
      case 'callEnded': {
        const id = p.call && p.call.callId;
        st.calls = st.calls.filter((x) => x.callId !== id);
        return;
      }
      case 'deviceChanged':
        st.status = p.status || {};
        return;
      case 'queueChanged': {
        const m = p.membership;
        if (!m || !m.queue) return;
        const i = st.queues.findIndex((x) => x.queue === m.queue);
        if (i >= 0) st.queues[i] = m; else st.queues.push(m);
        return;
      }
      case 'queueStatusChanged':
        st.queueStatus = p.status || {};
        return;
    }
  }

  function devicesChanged(dc) {
    for (const ref of dc.removed || []) {
      S.devices.delete(ref);
    }
    for (const info of dc.added || []) {
      if (!info || !info.device) continue;
      const d = S.devices.get(info.device);
      if (d) d.info = info;
      else {
        S.devices.set(info.device, { info, state: null, error: '', loading: 0, pending: [] });
        loadState(info.device);
      }
    }
    markAll();
  }

  let pluginTimer = 0;
  function driverChanged(ev) {
    const p = ev.driverChanged || {};
    const now = Date.now();
    for (const swap of S.swaps.values()) {
      if (swap.driver !== p.driver) continue;
      if (!swap.running && now > swap.until) continue;
      if (swap.site && ev.site && ev.site !== swap.site) continue;
      swap.steps.push({ time: ev.time, site: ev.site || '', state: driverState(p.state), version: p.version || '', pid: p.pid || '', reason: p.reason || '' });
      markPlugins();
    }
    if (S.pluginsAllowed) {
      // Show the new state at once, then read the full rows.
      for (const q of S.plugins || []) {
        if (q.driver === p.driver && (!ev.site || q.site === ev.site || (q.sites || []).includes(ev.site))) {
          q.state = p.state;
          if (p.version) q.version = p.version;
          if (p.pid !== undefined) q.pid = p.pid;
        }
      }
      markPlugins();
      clearTimeout(pluginTimer);
      pluginTimer = setTimeout(loadPlugins, 250);
    }
  }

  // ---- loading -----------------------------------------------------------

  async function loadState(ref) {
    const d = S.devices.get(ref);
    if (!d) return;
    const gen = S.gen;
    d.loading++;
    try {
      const st = await api('GET', devPath(ref));
      if (gen !== S.gen || S.devices.get(ref) !== d) return;
      st.status = st.status || {};
      st.calls = Array.isArray(st.calls) ? st.calls : [];
      st.queues = Array.isArray(st.queues) ? st.queues : [];
      d.state = st;
      d.error = '';
    } catch (err) {
      if (gen !== S.gen) return;
      d.error = err.message;
    } finally {
      d.loading--;
      if (gen === S.gen && d.loading === 0) {
        // Events that came while reading: apply the ones newer than the
        // state read (an older one is already in it).
        const pending = d.pending;
        d.pending = [];
        const cutoff = d.state ? parseTime(d.state.updatedAt) : NaN;
        for (const [name, ev] of pending) {
          if (!d.state) break;
          const t = parseTime(ev.time);
          if (Number.isFinite(cutoff) && Number.isFinite(t) && t < cutoff) continue;
          applyToState(d.state, name, ev);
        }
        markDevice(ref);
      }
    }
  }

  async function pool(items, n, fn) {
    let i = 0;
    const worker = async () => {
      while (i < items.length) await fn(items[i++]);
    };
    await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  }

  async function loadDevices() {
    const gen = S.gen;
    let res;
    try {
      res = await api('GET', '/v1/devices');
    } catch (err) {
      if (gen === S.gen && err.status !== 401) showError('Reading the devices', err);
      return;
    }
    if (gen !== S.gen) return;
    const list = Array.isArray(res.devices) ? res.devices : [];
    const seen = new Set();
    for (const info of list) {
      if (!info || !info.device) continue;
      seen.add(info.device);
      const d = S.devices.get(info.device);
      if (d) d.info = info;
      else S.devices.set(info.device, { info, state: null, error: '', loading: 0, pending: [] });
    }
    for (const ref of [...S.devices.keys()]) if (!seen.has(ref)) S.devices.delete(ref);
    S.loaded = true;
    markAll();
    await pool([...seen], 8, loadState);
  }

  async function loadSites() {
    const gen = S.gen;
    if (!hasScope('admin')) { S.sites = null; return; }
    try {
      const res = await api('GET', '/v1/sites');
      if (gen !== S.gen) return;
      S.sites = (Array.isArray(res.sites) ? res.sites : []).map((s) => s.name).filter(Boolean);
    } catch (err) {
      if (gen !== S.gen) return;
      S.sites = null; // 403: the sites seen in the devices
    }
    markAll();
  }

  async function loadPlugins() {
    const gen = S.gen;
    if (!hasScope('admin')) {
      S.pluginsAllowed = false;
      markPlugins();
      return;
    }
    S.pluginsAllowed = true;
    try {
      const res = await api('GET', '/v1/plugins');
      if (gen !== S.gen) return;
      S.plugins = Array.isArray(res.plugins) ? res.plugins : [];
      S.pluginsError = '';
    } catch (err) {
      if (gen !== S.gen) return;
      if (err.status === 403) S.pluginsAllowed = false;
      else if (S.plugins === null) S.pluginsError = `Cannot read the plugins: ${err.message}`;
    }
    markPlugins();
  }

  let resyncTimer = 0;
  function resync() {
    clearTimeout(resyncTimer);
    resyncTimer = setTimeout(() => {
      loadDevices();
      loadSites();
      loadPlugins();
    }, 100);
  }

  // ---- the event stream --------------------------------------------------

  function setLive(state) {
    const e = byId('live');
    const text = state === 'live' ? 'live' : state === 'reconnecting' ? 'reconnecting' : state === 'connecting' ? 'connecting' : 'offline';
    if (e.textContent !== text) e.textContent = text;
    e.dataset.status = text;
  }

  function openEvents() {
    closeEvents();
    if (!hasScope('events')) { setLive('offline'); return; }
    const from = S.lastSeq ? `?from=${S.lastSeq + 1}` : '';
    const es = new EventSource(`/v1/events${from}`);
    S.es = es;
    setLive(S.lastSeq ? 'reconnecting' : 'connecting');
    es.onopen = () => {
      if (es !== S.es) return;
      setLive('live');
    };
    es.onerror = () => {
      if (es !== S.es) return;
      if (es.readyState === EventSource.CLOSED) {
        // The host refused the stream (signed out, no longer allowed, or
        // down): check the session, then try again with a backoff.
        setLive('offline');
        es.close();
        S.es = null;
        scheduleReopen();
      } else {
        setLive('reconnecting');
      }
    };
    for (const name of EVENT_NAMES) es.addEventListener(name, onEvent);
    es.addEventListener('end', (e) => {
      if (es !== S.es) return;
      // The host ended the stream and says why; EventSource reconnects.
      let why = '';
      try { why = JSON.parse(e.data).message || ''; } catch { /* ignore */ }
      setLive('reconnecting');
      byId('live').title = why ? `Event stream ended: ${why}` : 'Live event stream';
    });
  }

  function closeEvents() {
    clearTimeout(S.retryTimer);
    if (S.es) S.es.close();
    S.es = null;
  }

  function scheduleReopen() {
    clearTimeout(S.retryTimer);
    const gen = S.gen;
    const wait = Math.min(30000, 1000 * 2 ** Math.min(S.retry, 5));
    S.retry++;
    S.retryTimer = setTimeout(async () => {
      if (gen !== S.gen) return;
      try {
        await api('GET', '/console/whoami');
      } catch (err) {
        if (gen !== S.gen) return;
        if (err.status === 401) { sessionEnded(); return; }
        scheduleReopen();
        return;
      }
      if (gen !== S.gen) return;
      const fresh = !S.lastSeq;
      openEvents();
      if (fresh) resync();
    }, wait);
  }

  // ---- session -----------------------------------------------------------

  function resetStore() {
    S.devices.clear();
    S.sites = null;
    S.plugins = null;
    S.pluginsAllowed = false;
    S.pluginsError = '';
    S.events = [];
    S.swaps.clear();
    S.busy.clear();
    S.drafts.clear();
    S.rows.clear();
    S.cards.clear();
    S.pluginCards.clear();
    S.lastSeq = 0;
    S.retry = 0;
    S.loaded = false;
  }

  function showSignIn() {
    byId('app').hidden = true;
    byId('nav').hidden = true;
    byId('logout').hidden = true;
    byId('client').textContent = '';
    byId('signin').hidden = false;
    setLive('offline');
  }

  function sessionEnded() {
    if (!S.me) return;
    signOutLocal();
    showError('Signed out', new Error('the session ended; sign in again'));
  }

  function signOutLocal() {
    S.gen++;
    closeEvents();
    S.me = null;
    resetStore();
    byId('devices').replaceChildren();
    byId('queues').replaceChildren();
    byId('plugins').replaceChildren();
    byId('events').replaceChildren();
    showSignIn();
  }

  function startApp(me) {
    S.gen++;
    closeEvents();
    resetStore();
    S.me = {
      client: typeof me.client === 'string' ? me.client : '',
      scopes: Array.isArray(me.scopes) ? me.scopes.map(String) : [],
      sites: Array.isArray(me.sites) ? me.sites.map(String) : [],
    };
    byId('signin').hidden = true;
    byId('app').hidden = false;
    byId('nav').hidden = false;
    byId('logout').hidden = false;
    const client = byId('client');
    client.textContent = S.me.client;
    client.title = `scopes: ${S.me.scopes.join(', ') || 'none'}; sites: ${S.me.sites.join(', ') || 'none'}`;
    byId('devices').replaceChildren(h('p', { class: 'muted', text: 'Loading…' }));
    byId('queues').replaceChildren();
    S.pluginsAllowed = hasScope('admin');
    markAll();
    markPlugins();
    markEvents();
    openEvents();
    loadSites();
    loadPlugins();
    loadDevices();
  }

  async function checkSession() {
    let me;
    try {
      me = await api('GET', '/console/whoami');
    } catch (err) {
      if (err.status !== 401) showError('Cannot reach the host', err);
      showSignIn();
      return;
    }
    startApp(me);
  }

  // ---- wiring ------------------------------------------------------------

  function wire() {
    byId('login-form').addEventListener('submit', async (e) => {
      e.preventDefault();
      const input = byId('token-input');
      const button = byId('login');
      const token = input.value.trim();
      if (!token) { input.focus(); return; }
      clearError();
      button.disabled = true;
      try {
        await api('POST', '/console/login', { token });
        input.value = '';
        await checkSession();
      } catch (err) {
        showError('Sign-in failed', err);
        input.focus();
      } finally {
        button.disabled = false;
      }
    });
    byId('logout').addEventListener('click', async () => {
      clearError();
      try {
        await api('POST', '/console/logout', {});
      } catch (err) {
        showError('Sign-out failed', err);
      }
      signOutLocal();
      byId('token-input').focus();
    });
    byId('error-dismiss').addEventListener('click', clearError);
    byId('event-filter').addEventListener('input', (e) => {
      S.filter = e.target.value;
      if (S.me) renderEvents(); // at once: the list answers the typing
    });
    // Remember what the user typed or chose, across re-renders.
    const remember = (e) => {
      const t = e.target;
      if (t && t.dataset && t.dataset.draft) S.drafts.set(t.dataset.draft, t.value);
    };
    document.addEventListener('input', remember);
    document.addEventListener('change', remember);
    // Durations tick every second without re-rendering.
    setInterval(() => {
      const now = Date.now();
      for (const e of document.querySelectorAll('[data-since]')) {
        const t = parseTime(e.dataset.since);
        if (Number.isFinite(t)) {
          const text = duration(now - t);
          if (e.textContent !== text) e.textContent = text;
        }
      }
    }, 1000);
  }

  async function boot() {
    wire();
    // The code is hex; a character after it (a log line's ':' copied
    // along with the link) is not part of it.
    const m = /(?:^#|[#&])code=([A-Za-z0-9_-]+)/.exec(location.hash);
    if (m) {
      let code = m[1];
      try { code = decodeURIComponent(code); } catch { /* use it as it is */ }
      try {
        await api('POST', '/console/login', { code });
      } catch (err) {
        showError('Sign-in with the login code failed', err);
      } finally {
        history.replaceState(null, '', location.pathname + location.search);
      }
    }
    await checkSession();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
  else boot();
})();
