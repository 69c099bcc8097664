/**
 * Seeded pseudo-random numbers for the generator: xoshiro128** seeded through splitmix32, plus the
 * few distributions the model needs. Never Math.random: the same seed must give the same bytes.
 */

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** Hash a label into 32 bits (FNV-1a), used to derive independent streams from one seed. */
function hashLabel(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal: number | undefined;

  /** `seed` is any integer; `label` names an independent stream (e.g. 'geolocation'). */
  constructor(seed: number, label = '') {
    const st = { s: (Math.trunc(seed) ^ hashLabel(label)) | 0 };
    // Mix the high part of large seeds in too.
    st.s = (st.s + Math.imul(Math.floor(seed / 4294967296) | 0, 0x27d4eb2d)) | 0;
    this.a = splitmix32(st);
    this.b = splitmix32(st);
    this.c = splitmix32(st);
    this.d = splitmix32(st);
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** Next unsigned 32-bit integer (xoshiro128**). */
  u32(): number {
    const r = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return r;
  }

  /** Uniform in [0, 1) with 32 bits of resolution (plenty for this model). */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.float();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(xs: readonly T[]): T {
    const x = xs[this.int(xs.length)];
    if (x === undefined) throw new Error('pick from empty list');
    return x;
  }

  /** Standard normal (Marsaglia polar method). */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const s = this.spareNormal;
      this.spareNormal = undefined;
      return s;
    }
    let u: number, v: number, s: number;
    do {
      u = this.float() * 2 - 1;
      v = this.float() * 2 - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const m = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareNormal = v * m;
    return u * m;
  }

  /** Log-normal with the given median and log-scale sigma. */
  lognormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  exponential(mean: number): number {
    return -mean * Math.log(1 - this.float());
  }

  /** 32-character lowercase hex id (128 random bits), like Olist's ids. */
  hexId(): string {
    let s = '';
    for (let i = 0; i < 4; i++) {
      const x = this.u32();
      s += HEX[x >>> 24]! + HEX[(x >>> 16) & 255]! + HEX[(x >>> 8) & 255]! + HEX[x & 255]!;
    }
    return s;
  }

  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = xs[i]!;
      xs[i] = xs[j]!;
      xs[j] = t;
    }
    return xs;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Walker alias table: O(1) draws from a fixed discrete distribution. */
export class AliasTable {
  private readonly prob: Float64Array;
  private readonly alias: Uint32Array;
  readonly size: number;

  constructor(weights: ArrayLike<number>) {
    const n = weights.length;
    if (n === 0) throw new Error('alias table needs at least one weight');
    this.size = n;
    this.prob = new Float64Array(n);
    this.alias = new Uint32Array(n);
    let total = 0;
    for (let i = 0; i < n; i++) total += weights[i]!;
    const scaled = new Float64Array(n);
    for (let i = 0; i < n; i++) scaled[i] = (weights[i]! * n) / total;
    const small: number[] = [];
    const large: number[] = [];
    for (let i = 0; i < n; i++) (scaled[i]! < 1 ? small : large).push(i);
    while (small.length && large.length) {
      const s = small.pop()!;
      const l = large.pop()!;
      this.prob[s] = scaled[s]!;
      this.alias[s] = l;
      scaled[l] = scaled[l]! + scaled[s]! - 1;
      (scaled[l]! < 1 ? small : large).push(l);
    }
    for (const i of large) this.prob[i] = 1;
    for (const i of small) this.prob[i] = 1;
  }

  draw(rng: Random): number {
    const i = rng.int(this.size);
    return rng.float() < this.prob[i]! ? i : this.alias[i]!;
  }
}

/** A discrete distribution over labelled values. */
export class Categorical<T> {
  private readonly table: AliasTable;
  constructor(private readonly values: readonly T[], weights: readonly number[]) {
    this.table = new AliasTable(weights);
  }
  static fromRecord(rec: Readonly<Record<string, number>>): Categorical<string> {
    return new Categorical(Object.keys(rec), Object.values(rec));
  }
  draw(rng: Random): T {
    return this.values[this.table.draw(rng)]!;
  }
}

/**
 * Draws without replacement from fixed counts, so that totals come out exactly (e.g. exactly 609
 * unavailable orders at scale 1) while the order of outcomes stays random.
 */
export class Urn<T> {
  private readonly counts: number[];
  private remaining: number;
  constructor(private readonly values: readonly T[], counts: readonly number[]) {
    this.counts = [...counts];
    this.remaining = counts.reduce((a, b) => a + b, 0);
  }
  get left(): number {
    return this.remaining;
  }
  /** Draws one outcome; `accept` may refuse it (it is then kept in the urn and another is drawn). */
  draw(rng: Random, accept?: (v: T) => boolean): T {
    if (this.remaining <= 0) throw new Error('urn is empty');
    for (let attempt = 0; ; attempt++) {
      let r = rng.int(this.remaining);
      let i = 0;
      while (r >= this.counts[i]!) r -= this.counts[i++]!;
      const v = this.values[i]!;
      if (accept && attempt < 50 && !accept(v)) continue;
      this.counts[i]!--;
      this.remaining--;
      return v;
    }
  }
}

/**
 * Scales integer counts proportionally so that the result sums exactly to `total` (largest remainder
 * method; ties go to the earlier entry, so the result is deterministic).
 */
export function scaleCounts(counts: readonly number[], total: number): number[] {
  const sum = counts.reduce((a, b) => a + b, 0);
  if (sum === 0) return counts.map(() => 0);
  const exact = counts.map((c) => (c * total) / sum);
  const out = exact.map(Math.floor);
  let short = total - out.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0; short > 0; k = (k + 1) % order.length, short--) out[order[k]![1]]!++;
  return out;
}
