// Dates, clocks and the queue's search: pure functions, tested in the browser
// (tests/api/test_page_browser.py).
//
// Two clocks. A workflow clock is the API's (`span`, `when` show it). For a dispute loaded
// without a log, the clock is the one the read side knows: the due day `referral` gives the
// responsible department (its list item's limit in the county's handling unit, counted by the
// server's calendar, the day the workflow's clock would run out on). It is 超期 from the day
// after that, 临期 once APPROACHING_SHARE of the days from the report to it have passed (the
// workflow rules' pre_breach_share), 正常 before.

export const APPROACHING_SHARE = 0.8;
const DAY = 86400000;

export function today() {
  const now = new Date();
  const local = new Date(now.getTime() - now.getTimezoneOffset() * 60000);
  return local.toISOString().slice(0, 10);
}

function days(iso) {
  const [y, m, d] = iso.split('-').map(Number);
  return Date.UTC(y, m - 1, d) / DAY;
}

export function addDays(iso, n) {
  return new Date((days(iso) + n) * DAY).toISOString().slice(0, 10);
}

export function daysBetween(from, to) {
  return days(to) - days(from);
}

export function isDate(text) {
  return /^\d{4}-\d{2}-\d{2}$/.test(text || '') && addDays(text, 0) === text;
}

// The clock on `asOf` of a due day the API gave: {state: 'within'|'approaching'|'breached',
// due, left, over} in calendar days, or null when there is no due day (no time limit known).
export function clock(reportedOn, due, asOf) {
  if (!reportedOn || !due) return null;
  const used = daysBetween(reportedOn, asOf);
  const left = daysBetween(asOf, due);
  let state = 'within';
  if (left < 0) state = 'breached';
  else if (used >= daysBetween(reportedOn, due) * APPROACHING_SHARE) state = 'approaching';
  return { state, due, left: Math.max(left, 0), over: Math.max(-left, 0) };
}

export const CLOCK_NAME = { within: '正常', approaching: '临期', breached: '超期' };

// A workflow clock's time, as the API counts it (api Clock: remainingMinutes and overdueMinutes
// are counted time, a working day counting 24 hours): "2 个工作日 5 小时", "3 小时 20 分".
export function span(minutes, unit) {
  const day = Math.floor(minutes / 1440);
  const hour = Math.floor((minutes % 1440) / 60);
  const minute = minutes % 60;
  const parts = [];
  if (day) parts.push(`${day} ${unit === 'working_days' ? '个工作日' : '天'}`);
  if (hour) parts.push(`${hour} 小时`);
  if (!day && (minute || !hour)) parts.push(`${minute} 分`);
  return parts.join(' ');
}

// A DateTime of the API (ISO 8601 with its offset, China time) as "2021-12-31 17:30".
export function when(text) {
  return text ? text.replace('T', ' ').slice(0, 16) : '';
}

export const FLOW_STATUS = { ...CLOCK_NAME, paused: '暂停' };
