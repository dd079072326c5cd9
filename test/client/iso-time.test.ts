import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isoTime } from '../../sync/iso-time.ts';
import { mulberry32 } from '../../bench/random.ts';

test('isoTime is Date.toISOString for every kind of time', () => {
  const random = mulberry32(1201);
  const edges = [0, 1, 999, 1000, 86399999, 86400000, 951782400000 /* 2000-02-29 */, 4107542400000 /* 2100-03-01 */, 253402300799999, 253402300800000, -1, -86400001, 1.5, Date.now()];
  const randomTimes = Array.from({ length: 20000 }, (_, i) => (i % 2 ? Math.floor(random() * 253402300800000) : Math.floor(1.7e12 + random() * 1e11)));
  for (const ms of [...edges, ...randomTimes]) assert.equal(isoTime(ms), new Date(ms).toISOString(), String(ms));
});
