/* Preflight report: filters, URL-fragment state, paged rendering of the embedded findings.
   Every value from the scan reaches the page through textContent: never as markup. */
(function () {
  'use strict';

  var MARK = '\ue000';
  var PAGE = 100;
  var STATUS = ['fail', 'error', 'pass', 'waived'];
  var STATUS_LABEL = ['fail', 'error', 'pass', 'waived'];
  var STATUS_INDEX = { fail: 0, error: 1, pass: 2, waived: 3 };
  var CHANGE_INDEX = { 'new': 1, unchanged: 2 };
  var KEYS = ['status', 'severity', 'env', 'account', 'region', 'policy', 'change', 'q'];
  var ALIASES = { sev: 'severity', environment: 'env', search: 'q', text: 'q' };
  // Row layout, see reports/html.py.
  var P = 0, ST = 1, ACC = 2, REG = 3, ENV = 4, TYP = 5, ID = 6, NAME = 7, ARN = 8, DET = 9, CMD = 10;
  // Optional, only when set: WAI (index into data.waivers, or -1), CHG (1 new, 2 unchanged).
  var WAI = 11, CHG = 12;
  // Pre-deploy scans only: LOC "path:line" where the resource is declared, PROP the property.
  var LOC = 13, PROP = 14;

  var data = JSON.parse(document.getElementById('report-data').textContent);
  var rows = data.findings;
  var form = document.getElementById('filters');
  var sections = [];
  var views = [];
  var applied = null;
  var hay = null;
  var copyText = new WeakMap();
  var runbookTitles = [];

  var policyIndex = indexOf(data.policies);
  var policyTotals = data.policies.map(function () { return [0, 0, 0, 0]; });
  rows.forEach(function (r) { policyTotals[r[P]][r[ST]]++; });
  var regionIndex = indexOf(data.regions);
  var envIndex = indexOf(data.environments);
  var accountIndex = {};
  data.accounts.forEach(function (a, i) { accountIndex[a[0]] = i; });

  function indexOf(list) {
    var map = Object.create(null);
    list.forEach(function (v, i) { map[v] = i; });
    return map;
  }

  function fmt(n) { return n.toLocaleString('en-US'); }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function nameOf(r) { return r[NAME] === 0 ? r[ID] : r[NAME]; }

  function expand(template, r) {
    if (template.indexOf(MARK) < 0) return template;
    var out = '';
    for (var i = 0; i < template.length; i++) {
      var c = template.charAt(i);
      if (c === MARK && i + 1 < template.length) {
        var k = template.charAt(++i);
        out += k === MARK ? MARK : k === 'n' ? nameOf(r) : k === 'i' ? r[ID]
          : k === 'r' ? data.regions[r[REG]] : k === 'a' ? data.accounts[r[ACC]][0] : '';
      } else {
        out += c;
      }
    }
    return out;
  }

  function waiverOf(r) {
    return r.length > WAI && r[WAI] >= 0 ? (data.waivers || [])[r[WAI]] : null;
  }

  function changeOf(r) { return r.length > CHG ? r[CHG] : 0; }
  // Where a pre-deploy finding's resource is declared, shown under its name.
  function locationOf(r) { return r.length > LOC ? r[LOC] : ''; }
  function propertyOf(r) { return r.length > PROP ? r[PROP] : ''; }
  function locationLine(r) {
    var line = el('div', 'res-sub res-loc');
    line.title = 'Declared at ' + locationOf(r);
    line.appendChild(el('code', 'mono', locationOf(r)));
    if (propertyOf(r)) line.appendChild(el('span', 'res-prop', propertyOf(r)));
    return line;
  }

  function arnOf(r) { return r[ARN] < 0 ? '' : expand(data.strings[r[ARN]], r); }

  function commandsOf(r) {
    return data.commands[r[CMD]].map(function (s) { return expand(data.strings[s], r); });
  }

  // ---- state <-> URL fragment ---------------------------------------------------------

  function decode(s) {
    try { return decodeURIComponent(s.replace(/\+/g, ' ')); } catch (e) { return s; }
  }

  function isStateHash(hash) {
    return hash === '' || hash === '#' || hash.indexOf('=') >= 0;
  }

  function parseHash(hash) {
    var state = {};
    hash.replace(/^#/, '').split('&').forEach(function (part) {
      var eq = part.indexOf('=');
      if (eq < 0) return;
      var key = decode(part.slice(0, eq)).toLowerCase();
      key = ALIASES[key] || key;
      if (KEYS.indexOf(key) >= 0) state[key] = decode(part.slice(eq + 1)).trim();
    });
    if (state.status) state.status = state.status.toLowerCase();
    if (state.severity) state.severity = state.severity.toLowerCase();
    if (state.account) {
      // An account may be named instead of numbered.
      state.account = state.account.split(',').map(function (v) {
        var named = data.accounts.filter(function (a) { return a[1] === v.trim(); })[0];
        return v.trim() in accountIndex || !named ? v.trim() : named[0];
      }).join(',');
    }
    return state;
  }

  function serialize(state) {
    return KEYS.filter(function (k) { return state[k]; })
      .map(function (k) { return k + '=' + encodeURIComponent(state[k]); }).join('&');
  }

  function readControls() {
    var state = {};
    KEYS.forEach(function (k) {
      var v = form.elements[k].value.trim();
      if (v) state[k] = v;
    });
    return state;
  }

  function setControls(state) {
    KEYS.forEach(function (k) {
      var control = form.elements[k];
      var value = state[k] || '';
      if (control.tagName === 'SELECT' && value) {
        var known = Array.prototype.some.call(control.options, function (o) { return o.value === value; });
        if (!known) {
          var option = el('option', null, value + ' (not in this report)');
          option.value = value;
          control.appendChild(option);
        }
      }
      control.value = value;
    });
  }

  function writeHash(state, push) {
    var hash = serialize(state);
    var url = location.href.split('#')[0] + (hash ? '#' + hash : '');
    try {
      history[push ? 'pushState' : 'replaceState'](null, '', url);
    } catch (e) {
      if (hash || location.hash) location.hash = hash;
    }
  }

  // ---- filtering ----------------------------------------------------------------------

  // A filter value may list alternatives: status=fail,error
  function lookup(map, value) {
    if (!value) return null;
    var set = new Set();
    value.split(',').forEach(function (v) {
      v = v.trim();
      set.add(v in map ? map[v] : -2); // -2: a value this report has not: it matches nothing
    });
    return set;
  }

  function predicate(state) {
    var status = lookup(STATUS_INDEX, state.status);
    var change = lookup(CHANGE_INDEX, state.change);
    var policy = lookup(policyIndex, state.policy);
    var account = lookup(accountIndex, state.account);
    var region = lookup(regionIndex, state.region);
    var env = lookup(envIndex, state.env);
    var severity = state.severity ? new Set(state.severity.split(',').map(function (v) { return v.trim(); }))
      : null;
    var terms = (state.q || '').toLowerCase().split(/\s+/).filter(Boolean);
    if (terms.length && !hay) {
      hay = rows.map(function (r) {
        return (r[ID] + '\n' + nameOf(r) + '\n' + arnOf(r) + '\n' + locationOf(r) + ' ' +
                propertyOf(r)).toLowerCase();
      });
    }
    return function (r, i) {
      if (status && !status.has(r[ST])) return false;
      if (change && !change.has(changeOf(r))) return false;
      if (policy && !policy.has(r[P])) return false;
      if (account && !account.has(r[ACC])) return false;
      if (region && !region.has(r[REG])) return false;
      if (env && !env.has(r[ENV])) return false;
      if (severity && !severity.has(data.severities[r[P]])) return false;
      for (var t = 0; t < terms.length; t++) {
        if (hay[i].indexOf(terms[t]) < 0) return false;
      }
      return true;
    };
  }

  function apply(state, options) {
    var key = serialize(state);
    if (applied === key && !(options && options.force)) return;
    applied = key;
    var match = predicate(state);
    views = data.policies.map(function () { return { issues: [], passes: [], page: 0, passPage: 0 }; });
    var totals = [0, 0, 0, 0];
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i];
      if (!match(r, i)) continue;
      totals[r[ST]]++;
      (r[ST] === 2 ? views[r[P]].passes : views[r[P]].issues).push(i);
    }
    var shown = 0;
    sections.forEach(function (section, p) {
      var view = views[p];
      var count = view.issues.length + view.passes.length;
      section.hidden = count === 0;
      section.classList.toggle('has-issues', view.issues.length > 0);
      if (count) shown++;
      renderPills(p, key !== '');
      renderIssues(p);
      var passing = section.querySelector('[data-passing]');
      passing.hidden = view.passes.length === 0;
      section.querySelector('[data-pass-label]').textContent =
        fmt(view.passes.length) + ' passing resource' + (view.passes.length === 1 ? '' : 's');
      if (state.status === 'pass' && view.passes.length) passing.open = true;
      var passRows = section.querySelector('[data-pass-rows]');
      passRows.textContent = '';
      if (passing.open) renderPasses(p);
    });
    var total = totals[0] + totals[1] + totals[2] + totals[3];
    var summary = document.getElementById('match-summary');
    summary.textContent = '';
    summary.appendChild(el('strong', null, fmt(total)));
    summary.appendChild(document.createTextNode(
      (key ? ' of ' + fmt(rows.length) : '') + ' finding' + (total === 1 ? '' : 's') + ': '));
    summary.appendChild(el('span', 'bad', fmt(totals[0]) + ' failing'));
    summary.appendChild(document.createTextNode(', '));
    summary.appendChild(el('span', 'err', fmt(totals[1]) + ' error' + (totals[1] === 1 ? '' : 's')));
    summary.appendChild(document.createTextNode(', '));
    summary.appendChild(el('span', 'ok', fmt(totals[2]) + ' passing'));
    if (totals[3] || data.waivers.length) {
      summary.appendChild(document.createTextNode(', '));
      summary.appendChild(el('span', 'wvd', fmt(totals[3]) + ' waived'));
    }
    summary.appendChild(document.createTextNode(
      ', in ' + fmt(shown) + ' polic' + (shown === 1 ? 'y' : 'ies') + (key ? ' (filtered)' : '')));
    document.getElementById('empty-state').hidden = total !== 0;
    document.getElementById('print-filters').textContent = key
      ? 'Filtered: ' + KEYS.filter(function (k) { return state[k]; })
        .map(function (k) { return k + ' = ' + state[k]; }).join(', ')
      : 'All findings.';
    document.body.setAttribute('data-filtered', key ? 'yes' : 'no');
  }

  // ---- rendering ----------------------------------------------------------------------

  function statusBadge(code) {
    return el('span', 'status status-' + STATUS[code], STATUS_LABEL[code]);
  }

  function resourceCell(r, withArn) {
    var td = el('td', 'res');
    td.appendChild(el('div', 'res-name', nameOf(r)));
    var sub = el('div', 'res-sub');
    if (r[NAME] !== 0) sub.appendChild(el('span', 'mono', r[ID]));
    sub.appendChild(el('span', 'res-type', data.types[r[TYP]]));
    td.appendChild(sub);
    if (withArn) {
      var arn = arnOf(r);
      if (arn) td.appendChild(el('div', 'res-arn mono', arn));
    }
    if (locationOf(r)) td.appendChild(locationLine(r));
    return td;
  }

  function accountCell(r) {
    var account = data.accounts[r[ACC]];
    var td = el('td', 'acct');
    td.appendChild(el('div', null, account[1]));
    if (account[1] !== account[0]) td.appendChild(el('div', 'mono small muted', account[0]));
    return td;
  }

  function copyButton(label, text) {
    var button = el('button', 'copy', label);
    button.type = 'button';
    button.setAttribute('data-label', label);
    if (text !== undefined) copyText.set(button, text);
    return button;
  }

  function findingBody(i) {
    var r = rows[i];
    var detail = data.details[r[DET]];
    var message = expand(data.strings[detail[0]], r);
    var body = el('tbody', 'finding finding-' + STATUS[r[ST]]);
    var main = el('tr', 'main');
    var statusCell = el('td', 'st');
    statusCell.appendChild(statusBadge(r[ST]));
    if (changeOf(r) === 1) statusCell.appendChild(el('span', 'change-new', 'new'));
    main.appendChild(statusCell);
    main.appendChild(resourceCell(r, true));
    main.appendChild(accountCell(r));
    main.appendChild(el('td', 'region', data.regions[r[REG]]));
    main.appendChild(el('td', 'env', data.environments[r[ENV]]));
    var msg = el('td', 'msg', message);
    if (r[ST] <= 1 && runbookTitles[r[P]]) msg.appendChild(runbookLink(r[P]));
    main.appendChild(msg);
    body.appendChild(main);

    var evidence = JSON.parse(expand(data.strings[detail[1]], r));
    var decisive = new Set(detail[2].map(function (k) { return data.strings[k]; }));
    var commands = commandsOf(r);
    var waiver = waiverOf(r);
    if (!evidence.length && !commands.length && !waiver) return body;
    var tr = el('tr', 'detail');
    var td = el('td');
    td.colSpan = 6;
    var grid = el('div', 'detail-grid');
    if (waiver) {
      // [id, reason, owner, expires, status without it, source]
      var wbox = el('div', 'waiver-box');
      wbox.appendChild(el('div', 'label', 'Waived'));
      wbox.appendChild(el('p', 'waiver-reason', waiver[1]));
      var facts = el('dl', 'waiver-facts');
      [['Owner', waiver[2]], ['Expires', waiver[3]], ['Waiver', waiver[0]],
        ['Without it', waiver[4]], ['Source', waiver[5]]].forEach(function (pair) {
        var div = el('div');
        div.appendChild(el('dt', null, pair[0]));
        div.appendChild(el('dd', pair[0] === 'Source' || pair[0] === 'Waiver' ? 'mono' : null, pair[1]));
        facts.appendChild(div);
      });
      wbox.appendChild(facts);
      grid.appendChild(wbox);
    }
    if (evidence.length) {
      var box = el('div', 'evidence-box');
      box.appendChild(el('div', 'label', 'Evidence'));
      var table = el('table', 'evidence');
      evidence.forEach(function (pair) {
        var row = el('tr', decisive.has(pair[0]) ? 'decisive' : null);
        var th = el('th', 'mono');
        th.appendChild(el('span', null, pair[0]));
        if (decisive.has(pair[0])) {
          var mark = el('span', 'decided', 'decided');
          mark.title = 'This attribute decided the verdict';
          th.appendChild(mark);
        }
        row.appendChild(th);
        row.appendChild(el('td', 'mono', JSON.stringify(pair[1] === undefined ? null : pair[1])));
        table.appendChild(row);
      });
      box.appendChild(table);
      grid.appendChild(box);
    }
    if (commands.length) {
      var fix = el('div', 'fix-box');
      fix.appendChild(el('div', 'label', 'Remediation'));
      commands.forEach(function (command) {
        var wrap = el('div', 'cmd copy-wrap');
        var pre = el('pre');
        pre.appendChild(el('code', null, command));
        wrap.appendChild(pre);
        wrap.appendChild(copyButton('Copy'));
        fix.appendChild(wrap);
      });
      grid.appendChild(fix);
    }
    td.appendChild(grid);
    tr.appendChild(td);
    body.appendChild(tr);
    return body;
  }

  // Every failing or error finding links to its policy's runbook panel, beside its message.
  function runbookLink(p) {
    var line = el('div', 'res-sub runbook-ref');
    var a = el('a', 'runbook-link', 'Runbook: ' + runbookTitles[p]);
    a.href = '#runbook-p' + p;
    line.appendChild(a);
    return line;
  }

  // An in-page link to a runbook section (from a finding, or from one runbook to another):
  // open the <details> around it, and show its policy if the filters hide it.
  function reveal(hash) {
    if (!hash || hash === '#' || isStateHash(hash)) return null;
    var target = document.getElementById(decode(hash.slice(1)));
    if (!target) return null;
    var section = target.closest('section.policy');
    if (section && section.hidden) { setControls({}); apply({}); }
    for (var node = target; node; node = node.parentElement) {
      if (node.tagName === 'DETAILS') node.open = true;
    }
    return target;
  }

  function pager(p, list, page, onPage) {
    var pages = Math.ceil(list.length / PAGE);
    var nav = el('div', 'pager');
    var prev = el('button', null, '\u2039 Previous');
    prev.type = 'button';
    prev.disabled = page === 0;
    prev.addEventListener('click', function () { onPage(page - 1); });
    var next = el('button', null, 'Next \u203a');
    next.type = 'button';
    next.disabled = page >= pages - 1;
    next.addEventListener('click', function () { onPage(page + 1); });
    var from = page * PAGE + 1;
    var to = Math.min(list.length, (page + 1) * PAGE);
    nav.appendChild(prev);
    nav.appendChild(el('span', 'pager-info',
      'Rows ' + fmt(from) + '\u2013' + fmt(to) + ' of ' + fmt(list.length) +
      ' (page ' + fmt(page + 1) + ' of ' + fmt(pages) + ')'));
    nav.appendChild(next);
    return nav;
  }

  function headRow(labels) {
    var thead = el('thead');
    var tr = el('tr');
    labels.forEach(function (l) { tr.appendChild(el('th', null, l)); });
    thead.appendChild(tr);
    return thead;
  }

  function renderPills(p, filtered) {
    var box = sections[p].querySelector('[data-counts]');
    box.textContent = '';
    var view = views[p];
    var now = [0, 0, view.passes.length, 0];
    view.issues.forEach(function (i) { now[rows[i][ST]]++; });
    [0, 1, 3, 2].forEach(function (s) {
      var all = policyTotals[p][s];
      if (!all && s !== 2) return;
      var word = s === 0 ? 'failing' : s === 2 ? 'passing' : s === 3 ? 'waived'
        : all === 1 ? 'error' : 'errors';
      var text = (filtered && now[s] !== all ? fmt(now[s]) + ' of ' : '') + fmt(all) + ' ' + word;
      box.appendChild(el('span', 'pill pill-' + STATUS[s], text));
    });
  }

  function renderIssues(p) {
    var section = sections[p];
    var container = section.querySelector('[data-issues]');
    container.textContent = '';
    var view = views[p];
    var list = view.issues;
    if (!list.length) return;
    var fails = 0, waived = 0;
    var withCommands = [];
    list.forEach(function (i) {
      if (rows[i][ST] === 0) fails++;
      if (rows[i][ST] === 3) waived++;
      if (rows[i][ST] === 0 && data.commands[rows[i][CMD]].length) withCommands.push(i);
    });
    var bar = el('div', 'issues-bar');
    var label = [];
    if (fails) label.push(fmt(fails) + ' failing');
    if (list.length - fails - waived) label.push(fmt(list.length - fails - waived) + ' could not be evaluated');
    if (waived) label.push(fmt(waived) + ' waived');
    bar.appendChild(el('span', 'issues-count', label.join(', ')));
    if (withCommands.length) {
      var all = copyButton('Copy all commands (' + fmt(withCommands.length) + ' resource' +
        (withCommands.length === 1 ? '' : 's') + ')');
      copyText.set(all, function () { return allCommands(withCommands); });
      bar.appendChild(all);
    }
    container.appendChild(bar);
    var wrap = el('div', 'table-wrap');
    var table = el('table', 'findings');
    table.appendChild(headRow(['Status', 'Resource', 'Account', 'Region', 'Environment', 'Why']));
    var start = view.page * PAGE;
    list.slice(start, start + PAGE).forEach(function (i) { table.appendChild(findingBody(i)); });
    wrap.appendChild(table);
    container.appendChild(wrap);
    if (list.length > PAGE) {
      container.appendChild(pager(p, list, view.page, function (page) {
        view.page = page;
        renderIssues(p);
        section.scrollIntoView({ block: 'start' });
      }));
    }
  }

  function oneLine(text) { return String(text).replace(/[\x00-\x1f\x7f-\x9f\u2028\u2029]/g, '?'); }

  function allCommands(list) {
    return list.map(function (i) {
      var r = rows[i];
      var account = data.accounts[r[ACC]];
      return '# ' + oneLine(nameOf(r)) + ' (' + oneLine(account[1]) + ' ' + oneLine(account[0]) + ' ' +
        oneLine(data.regions[r[REG]]) + ')\n' + commandsOf(r).join('\n');
    }).join('\n\n') + '\n';
  }

  function renderPasses(p) {
    var section = sections[p];
    var container = section.querySelector('[data-pass-rows]');
    container.textContent = '';
    var view = views[p];
    var list = view.passes;
    if (!list.length) return;
    var wrap = el('div', 'table-wrap');
    var table = el('table', 'findings passes');
    table.appendChild(headRow(['Status', 'Resource', 'Account', 'Region', 'Environment', 'Evidence']));
    var tbody = el('tbody');
    var start = view.passPage * PAGE;
    list.slice(start, start + PAGE).forEach(function (i) {
      var r = rows[i];
      var tr = el('tr', 'main');
      var st = el('td', 'st');
      st.appendChild(statusBadge(r[ST]));
      tr.appendChild(st);
      tr.appendChild(resourceCell(r, false));
      tr.appendChild(accountCell(r));
      tr.appendChild(el('td', 'region', data.regions[r[REG]]));
      tr.appendChild(el('td', 'env', data.environments[r[ENV]]));
      tr.appendChild(el('td', 'msg', expand(data.strings[data.details[r[DET]][0]], r)));
      tbody.appendChild(tr);
    });
    table.appendChild(tbody);
    wrap.appendChild(table);
    container.appendChild(wrap);
    if (list.length > PAGE) {
      container.appendChild(pager(p, list, view.passPage, function (page) {
        view.passPage = page;
        renderPasses(p);
      }));
    }
  }

  // ---- copying ------------------------------------------------------------------------

  function fallbackCopy(text) {
    var area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.top = '0';
    area.style.left = '0';
    area.style.opacity = '0';
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
    document.body.removeChild(area);
    return ok;
  }

  function copy(button) {
    var stored = copyText.get(button);
    var text = typeof stored === 'function' ? stored() : stored;
    if (text === undefined) {
      var code = button.closest('.copy-wrap').querySelector('code');
      text = code ? code.textContent : '';
    }
    var label = button.getAttribute('data-label') || 'Copy';
    function done(ok) {
      button.textContent = ok ? 'Copied' : 'Press Ctrl+C';
      button.classList.add(ok ? 'copied' : 'copy-failed');
      setTimeout(function () {
        button.textContent = label;
        button.classList.remove('copied', 'copy-failed');
      }, 1600);
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done(true); },
        function () { done(fallbackCopy(text)); });
    } else {
      done(fallbackCopy(text));
    }
  }

  // ---- wiring -------------------------------------------------------------------------

  function fromHash(scroll) {
    if (!isStateHash(location.hash)) {
      var target = reveal(location.hash);
      if (target && scroll) target.scrollIntoView({ block: 'start' });
      return;
    }
    var state = parseHash(location.hash);
    setControls(state);
    apply(state);
    if (scroll) scrollToResults(state);
  }

  function scrollToResults(state) {
    var target = document.getElementById('findings');
    if (state.policy && state.policy in policyIndex) {
      target = sections[policyIndex[state.policy]];
    }
    if (target && !target.hidden) target.scrollIntoView({ block: 'start' });
  }

  function onControls() {
    var state = readControls();
    apply(state);
    writeHash(state, false);
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll('section.policy'), function (section) {
      var p = Number(section.getAttribute('data-policy'));
      sections[p] = section;
      var summary = section.querySelector('details.runbook summary strong');
      runbookTitles[p] = summary ? summary.textContent : '';
      var passing = section.querySelector('[data-passing]');
      passing.addEventListener('toggle', function () {
        var rowsBox = section.querySelector('[data-pass-rows]');
        if (passing.open && !rowsBox.firstChild) renderPasses(p);
      });
    });
    // Copy buttons on the runbooks' code blocks.
    Array.prototype.forEach.call(document.querySelectorAll('.md pre'), function (pre) {
      var wrap = el('div', 'copy-wrap md-code');
      pre.parentNode.insertBefore(wrap, pre);
      wrap.appendChild(pre);
      wrap.appendChild(copyButton('Copy'));
    });
    form.addEventListener('change', onControls);
    form.addEventListener('submit', function (e) { e.preventDefault(); onControls(); });
    var timer = null;
    form.elements.q.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(onControls, 150);
    });
    document.getElementById('reset-filters').addEventListener('click', function () {
      setControls({});
      onControls();
    });
    document.getElementById('copy-link').addEventListener('click', function (e) {
      copyText.set(e.currentTarget, location.href);
      copy(e.currentTarget);
    });
    document.addEventListener('click', function (e) {
      var target = e.target;
      if (!(target instanceof Element)) return;
      var button = target.closest('button.copy');
      if (button && button.id !== 'copy-link') { copy(button); return; }
      if (target.closest('[data-action="reset"]')) { setControls({}); onControls(); return; }
      var link = target.closest('a[href^="#"]');
      // The browser then scrolls to the revealed target itself.
      if (link && !isStateHash(link.getAttribute('href'))) { reveal(link.getAttribute('href')); return; }
      if (link && isStateHash(link.getAttribute('href'))) {
        e.preventDefault();
        var state = parseHash(link.getAttribute('href'));
        setControls(state);
        apply(state);
        writeHash(state, true);
        scrollToResults(state);
      }
    });
    window.addEventListener('hashchange', function () { fromHash(true); });
    window.addEventListener('popstate', function () { fromHash(false); });

    var opened = [];
    window.addEventListener('beforeprint', function () {
      Array.prototype.forEach.call(document.querySelectorAll('section.policy:not([hidden]) details.runbook'),
        function (d) {
          var section = d.closest('section.policy');
          var p = Number(section.getAttribute('data-policy'));
          if (!d.open && views[p] && views[p].issues.length) { d.open = true; opened.push(d); }
        });
    });
    window.addEventListener('afterprint', function () {
      opened.forEach(function (d) { d.open = false; });
      opened = [];
    });

    var initial = isStateHash(location.hash) ? parseHash(location.hash) : {};
    setControls(initial);
    apply(initial, { force: true });
    if (serialize(initial)) scrollToResults(initial);
    else fromHash(true);  // a link to a runbook section
    document.documentElement.setAttribute('data-ready', 'yes');
  }

  init();
})();
