/*
 * The runs-migrator HTML report's page. It reads the report's data from the JSON script element
 * (#report-data) and draws the summary, the runs table and, on demand, a run's details with uPlot
 * overlays of its source and copy curves.
 *
 * Run data is untrusted: it only ever reaches the document as text (textContent, dataset,
 * attribute values), never as markup. The page fetches nothing; the Content Security Policy of
 * the file forbids it anyway.
 */
(function () {
  'use strict';

  var data = JSON.parse(document.getElementById('report-data').textContent);
  var app = document.getElementById('app');
  var PAGE = 500;
  var PROBLEM = 'problem';

  // ---- small helpers -------------------------------------------------------------------------

  /** An element with a class, and children: strings become text nodes, never markup. */
  function el(tag, className, children) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    (children || []).forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      node.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
    });
    return node;
  }

  function count(n) {
    return n === undefined || n === null ? '–' : Number(n).toLocaleString('en-US');
  }

  function bytes(n) {
    if (n === undefined || n === null) return '–';
    var units = ['B', 'KB', 'MB', 'GB', 'TB'];
    var value = n;
    var unit = 0;
    while (value >= 1000 && unit < units.length - 1) {
      value /= 1000;
      unit++;
    }
    return (unit === 0 ? String(value) : value.toFixed(value < 10 ? 2 : 1)) + ' ' + units[unit];
  }

  function duration(ms) {
    if (ms < 1000) return ms + ' ms';
    var s = ms / 1000;
    if (s < 60) return s.toFixed(1) + ' s';
    var m = Math.floor(s / 60);
    return m + ' min ' + Math.round(s - m * 60) + ' s';
  }

  function plural(n, word) {
    return count(n) + ' ' + word + (n === 1 ? '' : 's');
  }

  /** A run has a problem when its copy failed or verify found it anything but ok. */
  function isProblem(run) {
    return run.outcome === 'failed' || (run.status !== undefined && run.status !== 'ok');
  }

  // ---- summary -------------------------------------------------------------------------------

  var s = data.summary;
  var statuses = s.statuses || {};
  var problems = data.runs.filter(isProblem).length;
  // Traces verify did not find ok (and extra trace copies) are problems of the copy too.
  if (data.traces && data.traces.verify) {
    Object.keys(data.traces.verify.statuses).forEach(function (status) {
      if (status !== 'ok') problems += data.traces.verify.statuses[status];
    });
    problems += data.traces.verify.extra;
  }
  // So are datasets verify did not find ok, and datasets whose copy failed.
  if (data.datasets) {
    data.datasets.rows.forEach(function (row) {
      if (row.outcome === 'failed' || (row.status !== undefined && row.status !== 'ok')) problems++;
    });
    if (data.datasets.verify) problems += data.datasets.verify.extra;
  }

  function verdict() {
    if (s.exitStatus === 0) {
      return { ok: true, text: s.verified ? (data.command === 'copy' ? 'Copied, verify clean' : 'Verify clean') : 'Copied' };
    }
    if (s.failed) return { ok: false, text: plural(s.failed, 'run') + ' failed' };
    if (s.verified && !s.clean) return { ok: false, text: 'Verify found ' + plural(problems + (s.extra || 0), 'problem') };
    return { ok: false, text: 'Exit status ' + s.exitStatus };
  }

  function location(label, where) {
    return el('div', 'location', [
      el('div', 'label', [label]),
      el('div', 'project', [where.project]),
      el('div', 'uri', [where.uri + ' · ' + where.kind]),
    ]);
  }

  function tile(label, value, tone, title) {
    var node = el('div', 'tile' + (tone ? ' ' + tone : ''), [el('div', 'value', [value]), el('div', 'label', [label])]);
    node.dataset.stat = label;
    if (title) node.title = title;
    return node;
  }

  function summary() {
    var v = verdict();
    var tiles = [tile('runs', count(s.runs))];
    if (s.copied !== undefined) {
      tiles.push(tile('copied', count(s.copied), s.copied ? 'good' : ''));
      if (s.updated !== undefined) tiles.push(tile('updated', count(s.updated), s.updated ? 'good' : '', 'complete copies brought up to date with their sources'));
      tiles.push(tile('skipped', count(s.skipped), '', 'already copied by an earlier run'));
      tiles.push(tile('failed', count(s.failed), s.failed ? 'bad' : ''));
    }
    if (s.verified) {
      tiles.push(tile('verified ok', count(statuses.ok || 0), statuses.ok ? 'good' : ''));
      tiles.push(tile('different', count(statuses.different || 0), statuses.different ? 'bad' : ''));
      Object.keys(statuses).forEach(function (status) {
        if (status !== 'ok' && status !== 'different') tiles.push(tile(status, count(statuses[status]), 'bad'));
      });
      if (s.extra) tiles.push(tile('extra copies', count(s.extra), 'bad', 'copies in the target whose source run is not in the source project'));
    }
    tiles.push(tile('points', count(s.points)));
    tiles.push(tile('files', count(s.files)));
    tiles.push(tile('bytes', bytes(s.bytes), '', count(s.bytes) + ' bytes'));
    tiles.push(tile('duration', duration(s.durationMs)));
    tiles.push(tile('exit status', String(s.exitStatus), s.exitStatus === 0 ? 'good' : 'bad'));

    var title = data.command === 'copy' ? 'Copy report' : 'Verify report';
    var header = el('header', 'top', [
      el('div', '', [
        el('h1', '', [title]),
        el('div', 'subtitle', [data.source.project + ' → ' + data.target.project]),
      ]),
      el('div', 'verdict ' + (v.ok ? 'good' : 'bad'), [v.text]),
    ]);
    header.querySelector('.verdict').id = 'verdict';
    var meta = el('div', 'meta', [
      'runs-migrator ' + data.version + ' · ' + new Date(data.createdAt).toUTCString() + (s.verified ? '' : ' · not verified: run with --verify to compare'),
    ]);
    return el('section', 'summary', [
      header,
      meta,
      el('div', 'locations', [location('Source', data.source), el('div', 'arrow', ['→']), location('Target', data.target)]),
      el('div', 'tiles', tiles),
      el('p', 'note', [data.limits.note + (data.limits.detailsLeftOut ? ' Details of ' + plural(data.limits.detailsLeftOut, 'run') + ' are left out.' : '')]),
    ]);
  }

  // ---- runs table ----------------------------------------------------------------------------

  var columns = [
    { key: 'run', label: 'Run', value: function (r) { return (r.name || '') + ' ' + r.id; } },
  ];
  // A whole-store report (copy --all-projects --html): every run names its project.
  if (data.projects) columns.push({ key: 'project', label: 'Project', value: function (r) { return r.project || ''; } });
  if (s.copied !== undefined) columns.push({ key: 'outcome', label: 'Copy', value: function (r) { return r.outcome || ''; } });
  if (s.verified) columns.push({ key: 'status', label: 'Verify', value: function (r) { return r.status || ''; } });
  columns.push(
    { key: 'reason', label: 'Reason', value: function (r) { return r.reason || ''; } },
    { key: 'params', label: 'Params', num: true, value: function (r) { return r.counts.params; } },
    { key: 'tags', label: 'Tags', num: true, value: function (r) { return r.counts.tags; } },
    { key: 'metrics', label: 'Metrics', num: true, value: function (r) { return r.counts.metrics; } },
    { key: 'points', label: 'Points', num: true, value: function (r) { return r.counts.points; } },
    { key: 'files', label: 'Files', num: true, value: function (r) { return r.counts.files; } },
    { key: 'bytes', label: 'Bytes', num: true, value: function (r) { return r.counts.bytes; }, show: bytes },
    { key: 'issues', label: 'Issues', num: true, value: function (r) { return r.issues; } }
  );

  var state = { query: '', filter: 'all', sort: null, dir: 1, limit: PAGE, open: new Set() };
  var order = data.runs.map(function (run, index) { return index; });
  var tbody = el('tbody');
  var shown = el('span', 'shown');
  var more = el('button', 'more', ['Show more']);

  function filterOptions() {
    var options = [['all', 'All runs'], [PROBLEM, 'Runs with a problem']];
    (data.projects || []).forEach(function (p) { options.push(['project:' + p.project, 'Project: ' + p.project]); });
    var seen = {};
    data.runs.forEach(function (run) {
      if (run.outcome) seen['outcome:' + run.outcome] = 'Copy: ' + run.outcome;
      if (run.status) seen['status:' + run.status] = 'Verify: ' + run.status;
    });
    Object.keys(seen).sort().forEach(function (key) { options.push([key, seen[key]]); });
    return options;
  }

  function matches(run) {
    if (state.filter === PROBLEM && !isProblem(run)) return false;
    if (state.filter.indexOf('outcome:') === 0 && run.outcome !== state.filter.slice(8)) return false;
    if (state.filter.indexOf('status:') === 0 && run.status !== state.filter.slice(7)) return false;
    if (state.filter.indexOf('project:') === 0 && run.project !== state.filter.slice(8)) return false;
    if (!state.query) return true;
    var text = ((run.project || '') + ' ' + (run.name || '') + ' ' + run.id + ' ' + run.targets.join(' ') + ' ' + (run.reason || '') + ' ' + (run.changeList || []).join(' ')).toLowerCase();
    return text.indexOf(state.query) >= 0;
  }

  function compare(a, b) {
    if (!state.sort) return isProblem(data.runs[b]) - isProblem(data.runs[a]) || a - b;
    var column = columns.filter(function (c) { return c.key === state.sort; })[0];
    var x = column.value(data.runs[a]);
    var y = column.value(data.runs[b]);
    if (x === undefined || x === null) x = column.num ? -Infinity : '';
    if (y === undefined || y === null) y = column.num ? -Infinity : '';
    return (x < y ? -1 : x > y ? 1 : 0) * state.dir || a - b;
  }

  function badge(text, tone) {
    return el('span', 'badge ' + tone, [text]);
  }

  function tone(value) {
    return value === 'ok' || value === 'copied' || value === 'updated' ? 'good' : value === 'skipped' || value === 'planned' ? 'neutral' : 'bad';
  }

  function runRow(run, index) {
    var open = state.open.has(index);
    var toggle = el('button', 'toggle', [open ? '▾' : '▸']);
    toggle.setAttribute('aria-expanded', String(open));
    toggle.setAttribute('aria-label', 'details of run ' + run.id);
    var cells = [el('td', 'toggle-cell', [toggle])];
    columns.forEach(function (column) {
      var td;
      if (column.key === 'run') {
        td = el('td', 'run', [el('div', 'name', [run.name || '(no name)']), el('div', 'id', [run.id + (run.targets.length ? ' → ' + run.targets.join(', ') : '')])]);
      } else if (column.key === 'outcome' || column.key === 'status') {
        var value = column.value(run);
        td = el('td', '', [value ? badge(value, tone(value)) : '–']);
      } else if (column.key === 'project') {
        td = el('td', 'project', [run.project || '']);
      } else if (column.key === 'reason') {
        td = el('td', 'reason', [run.reason || (run.changes ? plural(run.changes, 'change') + ' synced' : '')]);
        if (run.differences > 1) td.appendChild(el('span', 'more-count', [' (+' + (run.differences - 1) + ' more)']));
      } else {
        var n = column.value(run);
        td = el('td', 'num', [column.show ? column.show(n) : count(n)]);
      }
      cells.push(td);
    });
    var tr = el('tr', 'run-row' + (isProblem(run) ? ' problem' : ''), cells);
    tr.dataset.index = String(index);
    tr.dataset.runId = run.id;
    tr.addEventListener('click', function () {
      if (state.open.has(index)) state.open.delete(index);
      else state.open.add(index);
      renderRows();
    });
    return tr;
  }

  function renderRows() {
    var visible = order.filter(function (index) { return matches(data.runs[index]); });
    visible.sort(compare);
    var fragment = document.createDocumentFragment();
    var charts = [];
    visible.slice(0, state.limit).forEach(function (index) {
      var run = data.runs[index];
      fragment.appendChild(runRow(run, index));
      if (state.open.has(index)) {
        var cell = el('td', '', []);
        cell.colSpan = columns.length + 1;
        charts.push.apply(charts, renderDetail(run, cell));
        var detailRow = el('tr', 'detail-row', [cell]);
        detailRow.dataset.runId = run.id;
        fragment.appendChild(detailRow);
      }
    });
    tbody.replaceChildren(fragment);
    shown.textContent = 'Showing ' + count(Math.min(state.limit, visible.length)) + ' of ' + plural(visible.length, 'matching run') + ' (' + count(data.runs.length) + ' in all)';
    more.hidden = visible.length <= state.limit;
    // Charts need their container's width: draw them once the rows are in the document.
    charts.forEach(function (draw) { draw(); });
  }

  var runsFilter = null;

  /** Shows one project's runs (a click on its row in the projects section). */
  function showProject(name) {
    state.filter = 'project:' + name;
    state.limit = PAGE;
    if (runsFilter) runsFilter.value = state.filter;
    renderRows();
  }

  // ---- projects (whole-store report) ---------------------------------------------------------

  /** A section per project: its counts, verify's verdict, its exit status; a click shows its runs. */
  function projectsSection() {
    var verified = data.projects.some(function (p) { return p.verified; });
    var labels = ['Project', 'Runs', 'Copied', 'Updated', 'Skipped', 'Failed'];
    if (verified) labels.push('Verify');
    labels.push('Exit status');
    var head = el('tr', '', labels.map(function (label, i) { return el('th', i > 0 ? 'num' : '', [label]); }));
    var rows = data.projects.map(function (p) {
      var bad = p.exitStatus !== 0;
      var cells = [
        el('td', 'project', [el('div', 'name', [p.project]), p.error ? el('div', 'reason', [p.error]) : null]),
        el('td', 'num', [count(p.runs)]),
        el('td', 'num', [count(p.copied)]),
        el('td', 'num', [count(p.updated)]),
        el('td', 'num', [count(p.skipped)]),
        el('td', 'num', [count(p.failed)]),
      ];
      if (verified) {
        var problems = 0;
        Object.keys(p.statuses || {}).forEach(function (status) { if (status !== 'ok') problems += p.statuses[status]; });
        problems += p.extra || 0;
        cells.push(el('td', 'num', [p.verified ? badge(p.clean ? 'clean' : plural(problems, 'problem'), p.clean ? 'good' : 'bad') : '–']));
      }
      cells.push(el('td', 'num', [badge(String(p.exitStatus), bad ? 'bad' : 'good')]));
      var tr = el('tr', 'project-row' + (bad ? ' problem' : ''), cells);
      tr.dataset.project = p.project;
      tr.title = 'show the runs of ' + p.project;
      tr.addEventListener('click', function () { showProject(p.project); });
      return tr;
    });
    return el('section', 'projects-section', [
      el('h2', '', ['Projects (' + count(data.projects.length) + ')']),
      el('div', 'table-wrap', [el('table', 'projects', [el('thead', '', [head]), el('tbody', '', rows)])]),
    ]);
  }

  function runsTable() {
    var search = el('input', 'search');
    search.type = 'search';
    search.placeholder = 'Filter by run name, id or reason';
    search.setAttribute('aria-label', 'filter runs');
    search.addEventListener('input', function () {
      state.query = search.value.trim().toLowerCase();
      state.limit = PAGE;
      renderRows();
    });
    var select = el('select', 'filter');
    runsFilter = select;
    select.setAttribute('aria-label', 'which runs');
    filterOptions().forEach(function (option) {
      var node = el('option', '', [option[1]]);
      node.value = option[0];
      select.appendChild(node);
    });
    select.value = state.filter;
    select.addEventListener('change', function () {
      state.filter = select.value;
      state.limit = PAGE;
      renderRows();
    });
    more.addEventListener('click', function () {
      state.limit += PAGE;
      renderRows();
    });

    var headRow = el('tr', '', [el('th', 'toggle-cell', [])]);
    columns.forEach(function (column) {
      var button = el('button', 'sort', [column.label]);
      var th = el('th', column.num ? 'num' : '', [button]);
      th.dataset.key = column.key;
      button.addEventListener('click', function () {
        state.dir = state.sort === column.key ? -state.dir : column.num ? -1 : 1;
        state.sort = column.key;
        headRow.querySelectorAll('th').forEach(function (other) { other.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', state.dir > 0 ? 'ascending' : 'descending');
        renderRows();
      });
      headRow.appendChild(th);
    });
    var table = el('table', 'runs', [el('thead', '', [headRow]), tbody]);
    return el('section', 'runs-section', [
      el('h2', '', ['Runs']),
      el('div', 'toolbar', [search, select, shown]),
      el('div', 'table-wrap', [table]),
      more,
    ]);
  }

  // ---- one run's details ---------------------------------------------------------------------

  function leftOut(detail, list) {
    var n = detail.leftOut && detail.leftOut[list];
    return n ? el('p', 'muted', [count(n) + (n === 1 ? ' more entry' : ' more entries') + ' not listed (report size limit).']) : null;
  }

  function section(title, children) {
    return el('div', 'detail-section', [el('h3', '', [title])].concat(children));
  }

  function keyValueTable(title, rows, detail, list) {
    var differing = rows.filter(function (row) { return row[3] !== 'same' && row[3] !== 'target'; }).length;
    var head = el('tr', '', [el('th', '', ['Key']), el('th', '', ['Source']), el('th', '', ['Copy'])]);
    var body = el('tbody');
    rows.forEach(function (row) {
      var tr = el('tr', 'kv ' + row[3], [
        el('td', 'key', [row[0]]),
        el('td', 'value', [row[1] === null ? '(none)' : row[1]]),
        el('td', 'value', [row[2] === null ? '(none)' : row[2]]),
      ]);
      tr.title = {
        same: 'same in the copy',
        differs: 'differs in the copy',
        missing: 'missing in the copy',
        extra: 'only in the copy',
        target: 'only in the copy, as expected (provenance, or set by the target itself)',
      }[row[3]];
      body.appendChild(tr);
    });
    var caption = title + ' (' + count(rows.length) + (differing ? ', ' + count(differing) + ' differing' : '') + ')';
    return section(caption, rows.length ? [el('table', 'kv-table', [el('thead', '', [head]), body]), leftOut(detail, list)] : [el('p', 'muted', ['none'])]);
  }

  function filesTable(detail) {
    var head = el('tr', '', [el('th', '', ['Path']), el('th', 'num', ['Source']), el('th', 'num', ['Copy']), el('th', '', ['sha256'])]);
    var body = el('tbody');
    detail.files.forEach(function (file) {
      var verdict;
      if (file.sha256Match === true) verdict = badge('match', 'good');
      else if (file.sha256Match === false) verdict = badge('MISMATCH', 'bad');
      else verdict = badge(file.sourceSize === null ? 'only in the copy' : file.copySize === null ? 'missing in the copy' : 'size differs', 'bad');
      var tr = el('tr', 'file ' + (file.sha256Match === true ? 'same' : 'differs'), [
        el('td', 'key', [file.path]),
        el('td', 'num', [file.sourceSize === null ? '–' : bytes(file.sourceSize)]),
        el('td', 'num', [file.copySize === null ? '–' : bytes(file.copySize)]),
        el('td', '', [verdict]),
      ]);
      if (file.sourceSha256) tr.title = 'source ' + file.sourceSha256 + '\ncopy   ' + file.copySha256;
      body.appendChild(tr);
    });
    return section('Files (' + count(detail.files.length) + ')', detail.files.length ? [el('table', 'files-table', [el('thead', '', [head]), body]), leftOut(detail, 'files')] : [el('p', 'muted', ['none'])]);
  }

  /** Rows where the two downsampled curves disagree: a point on one side only, or another value. */
  function differingMarks(rows) {
    var marks = new Array(rows.x.length);
    var n = 0;
    for (var i = 0; i < rows.x.length; i++) {
      var a = rows.source[i];
      var b = rows.copy[i];
      if (a === b) marks[i] = null;
      else {
        marks[i] = b === null ? a : b;
        n++;
      }
    }
    return { marks: marks, count: n };
  }

  function chartCard(chart, draws) {
    var card = el('div', 'chart-card ' + (chart.same ? 'same' : 'differs'));
    card.dataset.metric = chart.key;
    card.dataset.same = String(chart.same);
    var title = el('div', 'chart-title', [
      el('span', 'metric', [chart.key]),
      badge(chart.same ? 'identical' : 'DIFFERS', chart.same ? 'good' : 'bad'),
    ]);
    var facts = 'source ' + plural(chart.points[0], 'point') + ', copy ' + plural(chart.points[1], 'point');
    if (chart.nonFinite[0] || chart.nonFinite[1]) facts += ' · not drawn (NaN, ±Inf): source ' + count(chart.nonFinite[0]) + ', copy ' + count(chart.nonFinite[1]);
    if (chart.axis === 'time') facts += ' · x: time (every point has the same step)';
    card.appendChild(title);
    card.appendChild(el('div', 'chart-facts', [facts]));
    if (chart.omitted || chart.rows.x.length === 0) {
      card.appendChild(el('p', 'muted', [chart.omitted || 'no finite points to draw']));
      return card;
    }
    var plot = el('div', 'plot');
    card.appendChild(plot);
    var diff = differingMarks(chart.rows);
    card.dataset.differingPoints = String(diff.count);
    if (diff.count) card.appendChild(el('div', 'chart-facts bad-text', [plural(diff.count, 'displayed point') + (diff.count === 1 ? ' differs' : ' differ') + ' (red)']));
    draws.push(function () {
      var series = [
        {},
        // uPlot shows the points themselves only where they are sparse (a one-point metric stays visible).
        { label: 'source', stroke: '#2563eb', width: 2, spanGaps: true },
        { label: 'copy', stroke: '#f59e0b', width: 1.5, dash: [6, 4], spanGaps: true },
      ];
      var values = [chart.rows.x, chart.rows.source, chart.rows.copy];
      if (diff.count) {
        series.push({ label: 'differs', stroke: '#dc2626', fill: '#dc2626', width: 0, paths: function () { return null; }, points: { show: true, size: 7, fill: '#dc2626' } });
        values.push(diff.marks);
      }
      var width = Math.max(280, plot.clientWidth || 480);
      var u = new uPlot({
        width: width,
        height: 200,
        scales: { x: { time: chart.axis === 'time' } },
        axes: [{ label: chart.axis === 'time' ? '' : 'step', size: 36 }, { size: 56 }],
        cursor: { drag: { x: true, y: false } },
        series: series,
      }, values, plot);
      plot.uplot = u;
    });
    return card;
  }

  function metricsSection(detail, draws) {
    if (!detail.metrics.length) return section('Metrics', [el('p', 'muted', ['none compared'])]);
    var sorted = detail.metrics.slice().sort(function (a, b) { return (a.same - b.same) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0); });
    var grid = el('div', 'charts', sorted.map(function (chart) { return chartCard(chart, draws); }));
    var legend = el('p', 'muted', ['Blue: source. Dashed amber: copy (drawn over the source; one line when they agree). Downsampled for display: at most ' + count(data.limits.pointsPerSeries) + ' points per series.']);
    return section('Metrics (' + count(detail.metrics.length) + ')', [legend, grid]);
  }

  function issuesSection(detail) {
    if (!detail.issues.length) return section('Issues', [el('p', 'muted', ['none: every value was copied as it was'])]);
    var body = el('tbody');
    detail.issues.forEach(function (issue) {
      body.appendChild(el('tr', '', [
        el('td', '', [badge(issue.action, issue.action === 'dropped' ? 'bad' : 'warn')]),
        el('td', 'key', [issue.field + (issue.key ? ' ' + issue.key : '')]),
        el('td', '', [issue.reason]),
      ]));
    });
    return section('Issues (' + count(detail.issues.length) + ')', [el('table', 'issues-table', [body]), leftOut(detail, 'issues')]);
  }

  /** Fills a detail cell; returns the chart drawings to run once it is in the document. */
  function renderDetail(run, cell) {
    var draws = [];
    var box = el('div', 'detail');
    cell.appendChild(box);
    // A sync's changes come from the copy report: shown even when verify's details are left out.
    if (run.changes) {
      var changes = section('Changes synced (' + count(run.changes) + ')', [
        el('ul', 'changes', (run.changeList || []).map(function (text) { return el('li', '', [text]); })),
        run.changesOmitted ? el('p', 'muted', [run.changesOmitted + '.']) : null,
      ]);
      changes.dataset.list = 'changes';
      box.appendChild(changes);
    }
    if (!run.detail) {
      box.appendChild(el('p', 'muted', [run.detailOmitted || 'no details']));
      return draws;
    }
    var d = run.detail;
    if (d.differences.length) {
      box.appendChild(section('Differences (' + count(d.differences.length) + ')', [
        el('ul', 'differences', d.differences.map(function (text) { return el('li', '', [text]); })),
        leftOut(d, 'differences'),
      ]));
    }
    box.appendChild(metricsSection(d, draws));
    box.appendChild(el('div', 'two', [keyValueTable('Params', d.params, d, 'params'), keyValueTable('Tags', d.tags, d, 'tags')]));
    box.appendChild(el('div', 'two', [filesTable(d), issuesSection(d)]));
    return draws;
  }

  // ---- evaluation datasets -------------------------------------------------------------------

  function datasetsSection(d) {
    var tiles = [];
    var notes = [];
    if (d.copy) {
      tiles.push(tile('datasets', count(d.copy.datasets)));
      tiles.push(tile('datasets copied', count(d.copy.copied), d.copy.copied ? 'good' : ''));
      tiles.push(tile('datasets updated', count(d.copy.updated), d.copy.updated ? 'good' : '', 'records added, replaced or deleted, or tags changed'));
      tiles.push(tile('datasets skipped', count(d.copy.skipped), '', 'already copied by an earlier run'));
      tiles.push(tile('datasets failed', count(d.copy.failed), d.copy.failed ? 'bad' : ''));
      if (d.copy.planned) tiles.push(tile('datasets planned', count(d.copy.planned)));
      tiles.push(tile('dataset records', count(d.copy.records)));
      if (d.copy.recordsMerged) tiles.push(tile('records merged', count(d.copy.recordsMerged), 'bad', 'records the target merged into one with the same inputs'));
      if (d.copy.notCopied) notes.push('Not copied: ' + d.copy.notCopied);
      if (d.copy.notApplicable) notes.push(d.copy.notApplicable);
    }
    if (d.verify) {
      var st = d.verify.statuses;
      if (!d.copy) tiles.push(tile('datasets', count(d.verify.datasets)));
      tiles.push(tile('datasets verified ok', count(st.ok || 0), st.ok ? 'good' : ''));
      Object.keys(st).forEach(function (status) {
        if (status !== 'ok') tiles.push(tile('datasets ' + status, count(st[status]), 'bad'));
      });
      if (d.verify.extra) tiles.push(tile('extra dataset copies', count(d.verify.extra), 'bad', 'copies whose source dataset is not with the source experiment'));
      if (d.verify.notCompared) notes.push('Not compared: ' + d.verify.notCompared);
    }
    if (d.rowsLeftOut) notes.push(plural(d.rowsLeftOut, 'dataset') + ' not listed (report size limit).');
    var head = el('tr', '', ['Dataset', 'Copy', 'Verify', 'Records', 'Written', 'Differences and notes'].map(function (label, i) {
      return el('th', i === 3 || i === 4 ? 'num' : '', [label]);
    }));
    var body = el('tbody', '', d.rows.map(function (row) {
      var problem = row.outcome === 'failed' || (row.status !== undefined && row.status !== 'ok');
      var texts = el('td', 'reason', [row.reason || '']);
      if (row.differenceList.length) texts.appendChild(el('ul', 'differences', row.differenceList.map(function (text) { return el('li', '', [text]); })));
      if (row.differences > row.differenceList.length) texts.appendChild(el('p', 'muted', [count(row.differences - row.differenceList.length) + ' more not listed.']));
      if (row.notes.length) texts.appendChild(el('ul', 'notes muted', row.notes.map(function (text) { return el('li', '', [text]); })));
      var tr = el('tr', 'dataset-row' + (problem ? ' problem' : ''), [
        el('td', 'run', [el('div', 'name', [row.name || '(no name)']), el('div', 'id', [row.id + (row.targets.length ? ' → ' + row.targets.join(', ') : '')])]),
        el('td', '', [row.outcome ? badge(row.outcome, tone(row.outcome)) : '–']),
        el('td', '', [row.status ? badge(row.status, tone(row.status)) : '–']),
        el('td', 'num', [count(row.records)]),
        el('td', 'num', [row.written === undefined ? '–' : count(row.written)]),
        texts,
      ]);
      tr.dataset.datasetId = row.id;
      return tr;
    }));
    var node = el('section', 'runs-section datasets', [
      el('h2', '', ['Evaluation datasets']),
      el('div', 'tiles', tiles),
      notes.length ? el('ul', 'note', notes.map(function (text) { return el('li', '', [text]); })) : null,
      d.rows.length ? el('div', 'table-wrap', [el('table', 'runs', [el('thead', '', [head]), body])]) : el('p', 'muted', ['no datasets']),
    ]);
    if (d.extra.length) {
      node.appendChild(el('h3', '', ['Extra dataset copies in the target (' + count(d.extra.length) + ')']));
      node.appendChild(el('ul', 'differences', d.extra.map(function (e) { return el('li', '', [e.targetDatasetId + ': copy of ' + e.sourceDatasetId + ', which is not with the source experiment']); })));
    }
    node.id = 'datasets';
    return node;
  }

  // ---- traces --------------------------------------------------------------------------------

  function traceIsProblem(trace) {
    return trace.outcome === 'failed' || (trace.status !== undefined && trace.status !== 'ok');
  }

  function tracesSection(t) {
    var tiles = [];
    var notes = [];
    if (t.copy) {
      tiles.push(tile('traces', count(t.copy.traces)));
      tiles.push(tile('traces copied', count(t.copy.copied), t.copy.copied ? 'good' : ''));
      tiles.push(tile('traces skipped', count(t.copy.skipped), '', 'already copied by an earlier run'));
      tiles.push(tile('traces failed', count(t.copy.failed), t.copy.failed ? 'bad' : ''));
      if (t.copy.planned) tiles.push(tile('traces planned', count(t.copy.planned)));
      if (t.copy.unsupported) tiles.push(tile('traces unsupported', count(t.copy.unsupported), '', 'the target cannot hold them'));
      tiles.push(tile('spans', count(t.copy.spans)));
      tiles.push(tile('assessments', count(t.copy.assessments)));
      if (t.copy.notApplicable) notes.push('Not copied: ' + t.copy.notApplicable);
    }
    if (t.verify) {
      var st = t.verify.statuses;
      if (!t.copy) {
        tiles.push(tile('traces', count(t.verify.traces)));
        tiles.push(tile('spans', count(t.verify.spans)));
        tiles.push(tile('assessments', count(t.verify.assessments)));
      }
      tiles.push(tile('traces verified ok', count(st.ok || 0), st.ok ? 'good' : ''));
      Object.keys(st).forEach(function (status) {
        if (status !== 'ok') tiles.push(tile('traces ' + status, count(st[status]), 'bad'));
      });
      if (t.verify.extra) tiles.push(tile('extra trace copies', count(t.verify.extra), 'bad', 'copies in the target whose source trace is gone'));
      if (t.verify.notCompared) notes.push('Not compared: ' + t.verify.notCompared);
    }
    t.notCopied.forEach(function (kind) { notes.push('Not copied: ' + plural(kind.count, kind.kind.replace(/s$/, '')) + ' (' + kind.reason + ')'); });
    if (t.rowsLeftOut) notes.push(plural(t.rowsLeftOut, 'trace') + ' not listed (report size limit; traces with a problem are listed first).');

    var head = el('tr', '', ['Trace', 'Copy', 'Verify', 'Spans', 'Assessments', 'Differences and notes'].map(function (label, i) {
      return el('th', i === 3 || i === 4 ? 'num' : '', [label]);
    }));
    var body = el('tbody');
    var rows = t.rows.map(function (trace, index) { return { trace: trace, index: index }; });
    rows.sort(function (a, b) { return traceIsProblem(b.trace) - traceIsProblem(a.trace) || a.index - b.index; });
    var limit = PAGE;
    var more = el('button', 'more', ['Show more']);
    function draw() {
      var fragment = document.createDocumentFragment();
      rows.slice(0, limit).forEach(function (entry) {
        var trace = entry.trace;
        var texts = el('td', 'reason', [trace.reason || '']);
        if (trace.differenceList.length) texts.appendChild(el('ul', 'differences', trace.differenceList.map(function (text) { return el('li', '', [text]); })));
        if (trace.notes.length) texts.appendChild(el('ul', 'notes muted', trace.notes.map(function (text) { return el('li', '', [text]); })));
        if (trace.leftOut) texts.appendChild(el('p', 'muted', [count(trace.leftOut) + ' more not listed (report size limit).']));
        var tr = el('tr', 'trace-row' + (traceIsProblem(trace) ? ' problem' : ''), [
          el('td', 'run', [el('div', 'name', [trace.name || '(no name)']), el('div', 'id', [trace.id + (trace.targets.length ? ' → ' + trace.targets.join(', ') : '')])]),
          el('td', '', [trace.outcome ? badge(trace.outcome, tone(trace.outcome)) : '–']),
          el('td', '', [trace.status ? badge(trace.status, tone(trace.status)) : '–']),
          el('td', 'num', [count(trace.spans)]),
          el('td', 'num', [count(trace.assessments)]),
          texts,
        ]);
        tr.dataset.traceId = trace.id;
        tr.dataset.differences = String(trace.differences);
        fragment.appendChild(tr);
      });
      body.replaceChildren(fragment);
      more.hidden = rows.length <= limit;
    }
    more.addEventListener('click', function () {
      limit += PAGE;
      draw();
    });
    draw();
    var node = el('section', 'runs-section traces', [
      el('h2', '', ['Traces']),
      el('div', 'tiles', tiles),
      notes.length ? el('ul', 'note', notes.map(function (text) { return el('li', '', [text]); })) : null,
      rows.length ? el('div', 'table-wrap', [el('table', 'runs', [el('thead', '', [head]), body])]) : el('p', 'muted', ['no traces']),
      more,
    ]);
    if (t.extra.length) {
      node.appendChild(el('h3', '', ['Extra trace copies in the target (' + count(Math.max(t.verify ? t.verify.extra : 0, t.extra.length)) + ')']));
      node.appendChild(el('ul', 'differences', t.extra.map(function (e) { return el('li', '', [e.targetTraceId + ': copy of ' + e.sourceTraceId + ', which is not in the source project']); })));
    }
    node.id = 'traces';
    return node;
  }

  // ---- prompts and scorers (data: src/report/genai-objects-section.ts) -------------------------

  function genaiTone(value) {
    if (value === 'created' || value === 'copied' || value === 'ok') return 'good';
    if (value === 'existing' || value === 'skipped' || value === 'planned') return 'neutral';
    return 'bad';
  }

  function genaiObjectsSection(g) {
    var head = el('tr', '', ['Kind', 'Name', 'Copy', 'Verify', 'Versions', 'Copied now', 'Differences and notes'].map(function (label, i) {
      return el('th', i === 4 || i === 5 ? 'num' : '', [label]);
    }));
    var problem = function (row) { return row.outcome === 'failed' || row.outcome === 'not-copied' || (row.status !== undefined && row.status !== 'ok'); };
    var body = el('tbody', '', g.rows.map(function (row) {
      var texts = el('td', 'reason', []);
      if (row.differences.length) texts.appendChild(el('ul', 'differences', row.differences.map(function (text) { return el('li', '', [text]); })));
      if (row.notes.length) texts.appendChild(el('ul', 'notes muted', row.notes.map(function (text) { return el('li', '', [text]); })));
      if (row.leftOut) texts.appendChild(el('p', 'muted', [count(row.leftOut) + ' more not listed (report size limit).']));
      var tr = el('tr', 'genai-row' + (problem(row) ? ' problem' : ''), [
        el('td', '', [row.kind]),
        el('td', 'run', [el('div', 'name', [row.name])]),
        el('td', '', [row.outcome ? badge(row.outcome, genaiTone(row.outcome)) : '–']),
        el('td', '', [row.status ? badge(row.status, genaiTone(row.status)) : '–']),
        el('td', 'num', [count(row.versions)]),
        el('td', 'num', [count(row.copied)]),
        texts,
      ]);
      tr.dataset.kind = row.kind;
      tr.dataset.name = row.name;
      return tr;
    }));
    var notes = g.notes.slice();
    if (g.extraScorers.length) notes.push('Scorers in the target experiment that the source does not have: ' + g.extraScorers.join(', '));
    var node = el('section', 'runs-section genai-objects', [
      el('h2', '', ['Prompts and scorers']),
      notes.length ? el('ul', 'note', notes.map(function (text) { return el('li', '', [text]); })) : null,
      g.rows.length ? el('div', 'table-wrap', [el('table', 'runs', [el('thead', '', [head]), body])]) : el('p', 'muted', ['no prompts or scorers']),
    ]);
    node.id = 'prompts-and-scorers';
    return node;
  }

  // ---- the page ------------------------------------------------------------------------------

  app.replaceChildren(summary(), runsTable());
  if (data.projects) app.insertBefore(projectsSection(), app.children[1]);
  if (data.extra.length) {
    var list = el('ul', 'differences', data.extra.map(function (e) { return el('li', '', [(e.project ? e.project + ': ' : '') + e.targetRunId + ': copy of ' + e.sourceRunId + ', which is not in the source project']); }));
    app.appendChild(el('section', 'runs-section', [el('h2', '', ['Extra copies in the target (' + count(data.extra.length) + ')']), list]));
  }
  if (data.traces) app.appendChild(tracesSection(data.traces));
  if (data.genaiObjects) app.appendChild(genaiObjectsSection(data.genaiObjects));
  if (data.datasets) app.appendChild(datasetsSection(data.datasets));
  renderRows();
  app.setAttribute('aria-busy', 'false');
  document.documentElement.dataset.rendered = 'true';
})();
