// The teacher dashboard: reads the tutorcore-server API with the tenant's
// key (from ?key= in the page's address) and shows the class.
'use strict';
const key = new URLSearchParams(location.search).get('key') || '';
const MODALITIES = ['visual', 'concrete', 'pattern', 'verbal', 'peer'];

async function api(path, body) {
  const opts = { headers: { 'X-API-Key': key } };
  if (body !== undefined) {
    opts.method = 'POST';
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  const res = await fetch(path, opts);
  const data = await res.json();
  if (!res.ok) throw new Error(data.error ? data.error.message : res.statusText);
  return data;
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v; else if (k.startsWith('on')) e[k] = v; else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

function color(level) {
  if (level === null) return '#e9ecf1';
  return `hsl(${Math.round(level * 120)}, 65%, ${55 - level * 12}%)`;
}

async function heatmap() {
  const data = await api('/api/mastery/heatmap');
  const table = document.getElementById('heatmap');
  table.replaceChildren();
  const head = el('tr', {}, el('th', {}, 'Student'));
  for (const c of data.concepts) head.append(el('th', { class: 'concept', title: c.id }, c.name || c.id));
  table.append(el('thead', {}, head));
  const body = el('tbody');
  for (const s of data.students) {
    const row = el('tr', {}, el('td', {}, s.id));
    s.mastery.forEach((m, i) => row.append(el('td', {
      class: 'cell', style: `background:${color(m)}`,
      title: `${s.id} / ${data.concepts[i].id}: ${m === null ? 'no answers' : m.toFixed(2)}`,
    })));
    body.append(row);
  }
  table.append(body);
}

async function approvals() {
  const data = await api('/api/interventions/pending');
  document.getElementById('pending-count').textContent = data.pending.length;
  const body = document.querySelector('#approvals tbody');
  body.replaceChildren();
  for (const p of data.pending.slice(0, 50)) {
    const status = el('span');
    const choice = el('select', { 'aria-label': 'modality' },
      ...MODALITIES.filter(m => !p.modalities_tried.includes(m))
        .map(m => el('option', m === p.recommended_modality ? { value: m, selected: '' } : { value: m }, m)));
    const send = async (modality) => {
      try {
        const req = { student: p.student, misconception_id: p.misconception_id, teacher_id: 'dashboard' };
        if (modality) req.modality = modality;
        await api('/api/interventions/approve', req);
        status.textContent = modality && modality !== p.recommended_modality ? 'modified' : 'approved';
        status.className = 'done';
        setTimeout(approvals, 600);
      } catch (e) { status.textContent = e.message; status.className = 'error'; }
    };
    body.append(el('tr', { 'data-student': p.student, 'data-misconception': p.misconception_id },
      el('td', {}, p.student),
      el('td', { title: p.misconception_id }, p.label),
      el('td', {}, `${p.recommended_modality} (attempt ${p.attempt})`),
      el('td', {}, p.text || ''),
      el('td', {},
        el('button', { class: 'approve', onclick: () => send() }, 'Approve'),
        choice, el('button', { class: 'modify', onclick: () => send(choice.value) }, 'Modify'),
        status)));
  }
}

async function effectiveness() {
  const data = await api('/api/effectiveness');
  const body = document.querySelector('#effectiveness tbody');
  body.replaceChildren();
  const rows = data.rows.filter(r => r.attempts > 0).sort((a, b) => b.attempts - a.attempts).slice(0, 25);
  for (const r of rows) {
    const bar = el('span', { style: `left:${r.ci_low * 100}%;width:${(r.ci_high - r.ci_low) * 100}%` });
    body.append(el('tr', {},
      el('td', { title: r.misconception_id }, r.label), el('td', {}, r.modality),
      el('td', {}, `${r.resolutions}/${r.attempts}`), el('td', {}, r.rate.toFixed(2)),
      el('td', {}, el('span', { class: 'ci', title: `${r.ci_low.toFixed(2)} to ${r.ci_high.toFixed(2)}` }, bar),
        ` ${r.ci_low.toFixed(2)}-${r.ci_high.toFixed(2)}`)));
  }
}

let planId = null;
async function plan() {
  const data = await api('/api/coaching/pre-class');
  planId = data.event_id;
  document.getElementById('plan').textContent = data.text;
  document.getElementById('plan-status').textContent = '';
}

document.getElementById('plan-ack').onclick = async () => {
  const status = document.getElementById('plan-status');
  try {
    await api(`/api/coaching/plans/${planId}/acknowledge`, { teacher_id: 'dashboard' });
    status.textContent = 'acknowledged';
    status.className = 'done';
  } catch (e) { status.textContent = e.message; status.className = 'error'; }
};

function alerts() {
  const list = document.getElementById('alerts');
  const source = new EventSource(`/api/alerts/stream?key=${encodeURIComponent(key)}`);
  source.addEventListener('alert', (ev) => {
    const a = JSON.parse(ev.data);
    const text = {
      approval_needed: `approve: ${a.modality} for ${a.label}`,
      assigned: `assigned ${a.modality} for ${a.label}`,
      resolved: `resolved: ${a.label}`,
      outcome: `${a.label} persists (${a.state})`,
      escalation: `escalation: ${a.label} is ${a.state}`,
      bias: `metacognition: ${a.label} bias; propose a reflective question`,
      crisis: 'URGENT: crisis resources shown; contact the student now',
      quarantine: `messages paused (${a.label})`,
    }[a.kind] || a.kind;
    list.prepend(el('li', { class: a.severity }, `${a.student}: ${text}`));
    while (list.children.length > 60) list.lastChild.remove();
    if (a.kind === 'approval_needed') approvals();
  });
}

async function refresh() {
  try {
    const h = await (await fetch('/health')).json();
    document.getElementById('health').textContent =
      `tutorcore ${h.version}, domain ${h.domain}, ${h.events} events`;
    await Promise.all([heatmap(), effectiveness()]);
  } catch (e) { document.getElementById('health').textContent = e.message; }
}

approvals();
plan();
alerts();
refresh();
setInterval(refresh, 5000);
