// The checks the loaders make on identity values (loaders/checks.py), in Chinese, so that the
// form says what is wrong before anything is sent. The server checks again.

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS = '10X98765432';

export function idCheckDigit(first17) {
  let total = 0;
  for (let i = 0; i < 17; i += 1) total += Number(first17[i]) * WEIGHTS[i];
  return CHECK_CHARS[total % 11];
}

// Why `value` is not an 18-digit resident ID number (GB 11643), or null when it is one.
export function idNumberProblem(value) {
  const v = (value || '').trim().toUpperCase();
  if (!/^[0-9]{17}[0-9X]$/.test(v)) return '身份证号应为 17 位数字加 1 位数字或 X';
  const [y, m, d] = [v.slice(6, 10), v.slice(10, 12), v.slice(12, 14)].map(Number);
  const day = new Date(Date.UTC(y, m - 1, d));
  if (day.getUTCFullYear() !== y || day.getUTCMonth() !== m - 1 || day.getUTCDate() !== d) {
    return `第 7–14 位（${v.slice(6, 14)}）不是出生日期`;
  }
  const expected = idCheckDigit(v);
  if (v[17] !== expected) return `校验位应为 ${expected}，不是 ${v[17]}`;
  return null;
}

export function mobileProblem(value) {
  return /^1[3-9][0-9]{9}$/.test((value || '').trim()) ? null : '手机号应为 11 位数字，以 13–19 开头';
}
