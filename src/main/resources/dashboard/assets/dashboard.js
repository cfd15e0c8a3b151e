// mixstream's dashboard: the overview (instance health, throughput, dead letters, every model, searchable and
// paginated) and one model's live view (recent points coloured by component, 1σ/2σ ellipses, weights, history),
// drawn with Apache ECharts from the HTTP API of the instance serving this page (README "Dashboard").
(function () {
  'use strict';

  const PAGE = 50;
  const REFRESH_MS = 2000;
  // 16 distinguishable colours: K goes up to 16
  const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22',
    '#393b79', '#ad494a', '#637939', '#7b4173', '#3182bd', '#e6550d', '#31a354', '#756bb1'];
  const FLAGGED = '#d62728';
  const token = new URLSearchParams(location.search).get('access_token');

  // what the browser test (and a curious user, in the console) can read: the last view drawn and the charts
  const state = { view: null, views: 0, charts: {}, page: null, instance: null };
  window.mixstreamDashboard = state;

  function api(path) {
    if (!token) return path;
    return path + (path.includes('?') ? '&' : '?') + 'access_token=' + encodeURIComponent(token);
  }

  async function getJson(path) {
    const r = await fetch(api(path), { headers: { Accept: 'application/json' } });
    const body = await r.json().catch(() => ({ error: 'bad_answer', message: 'HTTP ' + r.status }));
    if (!r.ok) throw Object.assign(new Error(body.message || ('HTTP ' + r.status)), { body: body, status: r.status });
    return body;
  }

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v; else if (k === 'text') e.textContent = v; else e.setAttribute(k, v);
    }
    for (const c of children) e.append(c);
    return e;
  }

  function fmt(x, digits) {
    if (x === null || x === undefined) return '–';
    if (typeof x !== 'number') return String(x);
    if (Number.isInteger(x) && digits === undefined) return x.toLocaleString('en-US');
    return x.toFixed(digits === undefined ? 2 : digits);
  }

  function pct(x) {
    return x === null || x === undefined ? '–' : (100 * x).toFixed(2) + ' %';
  }

  function ago(ms) {
    if (!ms) return '–';
    const s = Math.max(0, (Date.now() - ms) / 1000);
    if (s < 90) return s.toFixed(0) + ' s ago';
    if (s < 5400) return (s / 60).toFixed(0) + ' min ago';
    return new Date(ms).toLocaleString();
  }

  function card(label, value, id) {
    return el('div', { class: 'card', id: id || '' }, el('div', { class: 'label', text: label }),
      el('div', { class: 'value', text: value }));
  }

  function chart(id) {
    if (!state.charts[id]) {
      state.charts[id] = echarts.init(document.getElementById(id), null, { renderer: 'canvas' });
      window.addEventListener('resize', () => state.charts[id].resize());
    }
    return state.charts[id];
  }

  // ---------------------------------------------------------------------------------------------- instance
  function pill(node, text, kind) {
    node.textContent = text;
    node.className = 'pill ' + (kind || '');
  }

  async function refreshInstance() {
    try {
      const s = await getJson('/instance');
      state.instance = s;
      pill(document.getElementById('instance-pill'), s.state + (s.ready ? ' · ready' : ' · ' + (s.reason || 'not ready')),
        s.ready ? 'good' : (s.state === 'ERROR' || s.state === 'NOT_RUNNING' ? 'bad' : 'warn'));
      document.getElementById('instance-name').textContent = s.application_id + ' @ ' + s.instance;
      if (document.getElementById('overview').hidden) return;
      const dead = Object.values(s.dead_letters).reduce((a, b) => a + b, 0);
      document.getElementById('instance-cards').replaceChildren(
        card('records / s', fmt(s.records_per_second, 0), 'card-rate'),
        card('records processed', fmt(s.records_processed), 'card-processed'),
        card('models', fmt(s.models_running) + (s.models_warming_up ? ' + ' + fmt(s.models_warming_up) + ' warming' : ''),
          'card-models'),
        card('anomalies', fmt(s.anomalies), 'card-anomalies'),
        card('dead letters', fmt(dead), 'card-dead'),
        card('points lag', fmt(Math.round(s.points_lag)), 'card-lag'));
      const rows = Object.entries(s.dead_letters).filter(([, n]) => n > 0)
        .map(([reason, n]) => el('tr', {}, el('td', { text: reason }), el('td', { class: 'num', text: fmt(n) })));
      document.querySelector('#dead-letters tbody').replaceChildren(
        ...(rows.length ? rows : [el('tr', {}, el('td', { class: 'muted', text: 'none' }))]));
      document.querySelector('#members tbody').replaceChildren(...s.instances.map(m => el('tr', {},
        el('td', { text: m.instance + (m.instance === s.instance ? ' (this one)' : '') }),
        el('td', { text: m.active.join(', ') || '–' }), el('td', { text: m.standby.join(', ') || '–' }))));
      chart('throughput').setOption({
        animation: false, grid: { left: 50, right: 10, top: 10, bottom: 25 },
        xAxis: { type: 'time' }, yAxis: { type: 'value', min: 0 }, tooltip: { trigger: 'axis' },
        series: [{ type: 'line', showSymbol: false, areaStyle: { opacity: 0.15 }, data: s.throughput }]
      });
    } catch (e) {
      pill(document.getElementById('instance-pill'), 'unreachable: ' + e.message, 'bad');
    }
  }

  // ---------------------------------------------------------------------------------------------- overview
  const overview = { after: [null], index: 0, search: '' };

  async function refreshModels() {
    const after = overview.after[overview.index];
    let q = '/models?scope=all&limit=' + PAGE;
    if (after) q += '&after=' + encodeURIComponent(after);
    if (overview.search) q += '&q=' + encodeURIComponent(overview.search);
    try {
      const page = await getJson(q);
      state.page = page;
      const tbody = document.querySelector('#models tbody');
      tbody.replaceChildren(...page.models.map(m => {
        const alert = m.anomaly_rate !== null && state.instance && m.anomaly_rate > 0.05;
        return el('tr', { class: alert ? 'alert' : '', 'data-key': m.key },
          el('td', {}, el('a', { href: '#/model/' + encodeURIComponent(m.key), text: m.key })),
          el('td', { text: m.components + ' × ' + (m.dimension < 0 ? '?' : m.dimension) }),
          el('td', { class: 'num', text: fmt(m.points_seen) }),
          el('td', { class: 'num', text: fmt(m.avg_log_likelihood, 3) }),
          el('td', { class: 'num', text: pct(m.anomaly_rate) }),
          el('td', { class: 'num', text: fmt(m.refits) }),
          el('td', { text: ago(m.updated_at) }),
          el('td', { text: m.warming_up ? 'warming up' : 'running' }));
      }));
      if (!page.models.length) {
        tbody.replaceChildren(el('tr', {}, el('td', { colspan: 8, class: 'muted',
          text: overview.search ? 'no model key contains “' + overview.search + '”' : 'no models yet' })));
      }
      document.getElementById('page-label').textContent = 'page ' + (overview.index + 1);
      document.getElementById('prev').disabled = overview.index === 0;
      document.getElementById('next').disabled = !page.next;
      overview.after.length = overview.index + 1;
      if (page.next) overview.after.push(page.next);
      document.getElementById('unreachable').textContent = page.unreachable.length
        ? 'not answering now (their models are missing): ' + page.unreachable.join(', ') : '';
    } catch (e) {
      document.getElementById('unreachable').textContent = 'cannot list models: ' + e.message;
    }
  }

  let searchTimer = null;
  document.getElementById('search').addEventListener('input', ev => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      overview.search = ev.target.value.trim();
      overview.after = [null];
      overview.index = 0;
      refreshModels();
    }, 250);
  });
  document.getElementById('next').addEventListener('click', () => {
    if (overview.after.length > overview.index + 1) { overview.index++; refreshModels(); }
  });
  document.getElementById('prev').addEventListener('click', () => {
    if (overview.index > 0) { overview.index--; refreshModels(); }
  });

  // ---------------------------------------------------------------------------------------------- one model
  const modelView = { key: null, source: null, plane: null, dimension: null };

  function planeQuery() {
    const p = modelView.plane;
    if (!p) return '';
    return p.kind === 'principal_axes' ? '?projection=principal_axes'
      : '?projection=coordinates&x=' + p.x + '&y=' + p.y;
  }

  function openModel(key) {
    closeModel();
    modelView.key = key;
    modelView.plane = null;
    modelView.dimension = null;
    state.view = null;
    state.views = 0;
    document.getElementById('model-key').textContent = key;
    document.getElementById('model-cards').replaceChildren();
    pill(document.getElementById('model-status'), 'connecting…');
    connect();
  }

  function connect() {
    if (modelView.source) modelView.source.close();
    const src = new EventSource(api('/models/' + encodeURIComponent(modelView.key) + '/events' + planeQuery()));
    modelView.source = src;
    src.addEventListener('view', ev => {
      const v = JSON.parse(ev.data);
      pill(document.getElementById('model-status'), 'live', 'good');
      draw(v);
    });
    src.addEventListener('problem', ev => {
      const p = JSON.parse(ev.data);
      const text = {
        warming_up: 'warming up: ' + p.points_seen + ' of ' + p.warmup + ' points; no parameters yet',
        unknown_model: 'no such model (yet)',
        unavailable: 'not reachable now (rebalancing or its instance is down); retrying',
      }[p.error] || p.message;
      pill(document.getElementById('model-status'), text, p.error === 'unknown_model' ? 'bad' : 'warn');
    });
    src.onerror = () => pill(document.getElementById('model-status'), 'connection lost; reconnecting', 'bad');
  }

  function closeModel() {
    if (modelView.source) modelView.source.close();
    modelView.source = null;
  }

  function planeControls(v) {
    if (modelView.dimension === v.dimension) return;
    modelView.dimension = v.dimension;
    const plane = document.getElementById('plane');
    const xs = document.getElementById('axis-x');
    const ys = document.getElementById('axis-y');
    plane.replaceChildren(el('option', { value: 'coordinates', text: 'coordinates' }),
      ...(v.dimension > 2 ? [el('option', { value: 'principal_axes', text: 'principal axes' })] : []));
    const options = () => Array.from({ length: v.dimension }, (_, i) => el('option', { value: i, text: 'x[' + i + ']' }));
    xs.replaceChildren(...options());
    ys.replaceChildren(...options());
    plane.value = v.projection.kind;
    const c = v.projection.coordinates || [0, Math.min(1, v.dimension - 1)];
    xs.value = c[0];
    ys.value = c[1];
    const showAxes = () => {
      const coords = plane.value === 'coordinates';
      document.getElementById('x-label').hidden = !coords || v.dimension < 2;
      document.getElementById('y-label').hidden = !coords || v.dimension < 2;
    };
    showAxes();
    const change = () => {
      showAxes();
      if (plane.value === 'coordinates' && xs.value === ys.value && v.dimension > 1) return;
      modelView.plane = { kind: plane.value, x: Number(xs.value), y: Number(ys.value) };
      connect();
    };
    plane.onchange = change;
    xs.onchange = change;
    ys.onchange = change;
  }

  function draw(v) {
    const started = performance.now();
    state.view = v;
    state.views++;
    planeControls(v);
    document.getElementById('served-by').textContent = 'served by ' + (v.recent.held ? 'the instance processing it'
      : 'its snapshot (no recent points held here)');
    document.getElementById('model-cards').replaceChildren(
      card('K × D', v.components + ' × ' + v.dimension + ' (' + v.covariance_type + ')'),
      card('points seen', fmt(v.points_seen), 'card-points'),
      card('avg log-likelihood', fmt(v.avg_log_likelihood, 3)),
      card('anomaly rate', pct(v.anomaly_rate) + (v.anomaly_alpha !== null ? ' (α ' + pct(v.anomaly_alpha) + ')' : '')),
      card('re-fits', fmt(v.refits)),
      card('snapshot', ago(v.updated_at)));
    drawScatter(v);
    drawWeights(v);
    drawHistory(v);
    state.lastDrawMs = performance.now() - started;
  }

  function drawScatter(v) {
    const k = v.components;
    const byComponent = Array.from({ length: k }, () => []);
    const flagged = [];
    for (const p of v.recent.points) {
      (p[4] ? flagged : byComponent[p[2]]).push([p[0], p[1], p[3]]);
    }
    const series = [];
    // a component keeps its id (and so its colour and name) for its life, while others are born, merge or die
    const name = c => 'component ' + v.mixture[c].id;
    for (let c = 0; c < k; c++) {
      const colour = PALETTE[v.mixture[c].id % PALETTE.length];
      series.push({ id: 'points-' + c, name: name(c), type: 'scatter', symbolSize: 5, large: true,
        itemStyle: { color: colour, opacity: 0.55 }, data: byComponent[c] });
      series.push({ id: 'sigma1-' + c, name: name(c), type: 'line', showSymbol: false, silent: true,
        lineStyle: { color: colour, width: 2 }, data: v.mixture[c].sigma1 });
      series.push({ id: 'sigma2-' + c, name: name(c), type: 'line', showSymbol: false, silent: true,
        lineStyle: { color: colour, width: 1, type: 'dashed' }, data: v.mixture[c].sigma2 });
    }
    series.push({ id: 'flagged', name: 'flagged', type: 'scatter', symbol: 'triangle', symbolSize: 11,
      itemStyle: { color: FLAGGED }, data: flagged });
    series.push({ id: 'means', name: 'means', type: 'scatter', symbol: 'diamond', symbolSize: 13,
      itemStyle: { color: '#000', borderColor: '#fff', borderWidth: 1 },
      data: v.mixture.map(m => ({ value: [m.mean[0], m.mean[1]], component: m.id, weight: m.weight })) });
    chart('scatter').setOption({
      animation: false, grid: { left: 60, right: 20, top: 30, bottom: 45 },
      legend: { top: 0, type: 'scroll', data: [...Array.from({ length: k }, (_, c) => name(c)), 'flagged'] },
      tooltip: { trigger: 'item', formatter: p => p.seriesId === 'means'
          ? 'component ' + p.data.component + '<br>weight ' + fmt(p.data.weight, 3)
            + '<br>mean (' + fmt(p.data.value[0], 3) + ', ' + fmt(p.data.value[1], 3) + ')'
          : p.seriesName + '<br>log-likelihood ' + fmt(p.value[2], 3) },
      xAxis: { type: 'value', scale: true, name: v.projection.labels[0], nameLocation: 'middle', nameGap: 28 },
      yAxis: { type: 'value', scale: true, name: v.projection.labels[1], nameLocation: 'middle', nameGap: 45 },
      color: PALETTE,
      series: series
    }, { replaceMerge: ['series'] });
  }

  function drawWeights(v) {
    chart('weights').setOption({
      animation: false, grid: { left: 45, right: 10, top: 10, bottom: 25 },
      xAxis: { type: 'category', data: v.mixture.map(m => String(m.id)) },
      yAxis: { type: 'value', min: 0, max: 1 }, tooltip: { trigger: 'axis' },
      series: [{ id: 'weights', type: 'bar',
        data: v.mixture.map(m => ({ value: m.weight, itemStyle: { color: PALETTE[m.id % PALETTE.length] } })) }]
    });
  }

  function drawHistory(v) {
    chart('history').setOption({
      animation: false, grid: { left: 60, right: 60, top: 30, bottom: 25 }, tooltip: { trigger: 'axis' },
      legend: { top: 0, data: ['mean log-likelihood', 'anomaly rate'] },
      xAxis: { type: 'time' },
      yAxis: [{ type: 'value', scale: true, name: 'log-likelihood' },
        { type: 'value', min: 0, name: 'anomalies', axisLabel: { formatter: x => (100 * x).toFixed(1) + '%' } }],
      series: [
        { id: 'loglik', name: 'mean log-likelihood', type: 'line', showSymbol: false, data: v.series.map(s => [s[0], s[2]]) },
        { id: 'anomaly', name: 'anomaly rate', type: 'line', showSymbol: false, yAxisIndex: 1,
          itemStyle: { color: FLAGGED }, data: v.series.map(s => [s[0], s[3]]) }]
    });
  }

  // ---------------------------------------------------------------------------------------------- routing
  let timer = null;

  function route() {
    const m = location.hash.match(/^#\/model\/(.+)$/);
    clearInterval(timer);
    document.getElementById('overview').hidden = !!m;
    document.getElementById('model').hidden = !m;
    if (m) {
      const key = decodeURIComponent(m[1]);
      if (key !== modelView.key || !modelView.source) openModel(key);
      refreshInstance();
      timer = setInterval(refreshInstance, REFRESH_MS);
    } else {
      closeModel();
      modelView.key = null;
      const tick = () => { if (!document.hidden) { refreshInstance(); refreshModels(); } };
      tick();
      timer = setInterval(tick, REFRESH_MS);
    }
    Object.values(state.charts).forEach(c => c.resize());
  }

  window.addEventListener('hashchange', route);
  route();
})();
