/**
 * A WorkloadEndpoint's QoS controls from its pod's annotations (libcalico-go v3.32.1
 * k8s/conversion/workload_endpoint_default.go handleQoSControlsAnnotations): bandwidth, burst,
 * peakrate, minburst, packet rate and burst, connection limits and DSCP. A value out of range is
 * clamped to the range, one that does not parse is dropped, and the defaults and consistency rules
 * are Calico's; Calico logs those problems and keeps the endpoint, and so does this.
 */

/** Kubernetes resource.Quantity's Value(): the quantity rounded up to an integer; undefined if it does not parse. */
export function quantityValue(text: string): bigint | undefined {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/.exec(text);
  if (!m) return undefined;
  const [, sign, whole = '', frac = '', suffix = ''] = m;
  if (whole === '' && frac === '') return undefined;
  const mantissa = BigInt(`${whole}${frac}` || '0') * (sign === '-' ? -1n : 1n);
  let numerator = mantissa;
  let denominator = 10n ** BigInt(frac.length);
  const binary = ['Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'].indexOf(suffix);
  if (binary >= 0) numerator *= 1n << BigInt(10 * (binary + 1));
  else {
    const decimal: Record<string, number> = {
      n: -9,
      u: -6,
      m: -3,
      '': 0,
      k: 3,
      M: 6,
      G: 9,
      T: 12,
      P: 15,
      E: 18,
    };
    const exp = decimal[suffix] ?? Number(suffix.slice(1));
    if (exp >= 0) numerator *= 10n ** BigInt(exp);
    else denominator *= 10n ** BigInt(-exp);
  }
  // Round up (towards +infinity), as Quantity.Value does.
  const q = numerator / denominator;
  return numerator % denominator > 0n ? q + 1n : q;
}

const K = 1000n;
const RANGES = {
  bandwidth: [K, 10n ** 15n],
  burst: [K, 4294967295n * 8n],
  peakrate: [1010n, 101n * 10n ** 13n],
  minburst: [K, 100n * 10n ** 6n],
  packetRate: [1n, 10n * K],
  packetBurst: [1n, 10n * K],
  connections: [1n, 4294967295n],
} as const;
const DEFAULT_BURST = 4n << 30n;
const DEFAULT_PACKET_BURST = 5n;

/** QoSControls in Go's field order, each with its annotation(s) (the later overrides) and range. */
const FIELDS: [string, string[], keyof typeof RANGES][] = [
  [
    'ingressBandwidth',
    ['kubernetes.io/ingress-bandwidth', 'qos.projectcalico.org/ingressBandwidth'],
    'bandwidth',
  ],
  ['ingressBurst', ['qos.projectcalico.org/ingressBurst'], 'burst'],
  ['ingressPeakrate', ['qos.projectcalico.org/ingressPeakrate'], 'peakrate'],
  ['ingressMinburst', ['qos.projectcalico.org/ingressMinburst'], 'minburst'],
  [
    'egressBandwidth',
    ['kubernetes.io/egress-bandwidth', 'qos.projectcalico.org/egressBandwidth'],
    'bandwidth',
  ],
  ['egressBurst', ['qos.projectcalico.org/egressBurst'], 'burst'],
  ['egressPeakrate', ['qos.projectcalico.org/egressPeakrate'], 'peakrate'],
  ['egressMinburst', ['qos.projectcalico.org/egressMinburst'], 'minburst'],
  ['ingressPacketRate', ['qos.projectcalico.org/ingressPacketRate'], 'packetRate'],
  ['ingressPacketBurst', ['qos.projectcalico.org/ingressPacketBurst'], 'packetBurst'],
  ['egressPacketRate', ['qos.projectcalico.org/egressPacketRate'], 'packetRate'],
  ['egressPacketBurst', ['qos.projectcalico.org/egressPacketBurst'], 'packetBurst'],
  ['ingressMaxConnections', ['qos.projectcalico.org/ingressMaxConnections'], 'connections'],
  ['egressMaxConnections', ['qos.projectcalico.org/egressMaxConnections'], 'connections'],
];

/** numorstring's DSCP names. */
const DSCP_NAMES = [
  'DF',
  'EF',
  'AF11',
  'AF12',
  'AF13',
  'AF21',
  'AF22',
  'AF23',
  'AF31',
  'AF32',
  'AF33',
  'AF41',
  'AF42',
  'AF43',
  'CS0',
  'CS1',
  'CS2',
  'CS3',
  'CS4',
  'CS5',
  'CS6',
];

/** DSCPFromString then Validate: a known name (canonical case) or a number 0-63 (kept as text); else none. */
function dscp(text: string): string | undefined {
  const name = DSCP_NAMES.find((n) => n.toLowerCase() === text.toLowerCase());
  if (name) return name;
  if (/^\d+$/.test(text)) return Number(text) <= 63 ? text : undefined;
  return DSCP_NAMES.includes(text.trim().toUpperCase()) ? text : undefined;
}

/** The qosControls of a pod's annotations, or undefined when none is set. */
export function qosControls(
  annotations: Readonly<Record<string, string>>,
): Record<string, unknown> | undefined {
  const q = new Map<string, bigint>();
  for (const [field, keys, range] of FIELDS) {
    for (const key of keys) {
      const text = annotations[key];
      if (text === undefined) continue;
      const v = quantityValue(text);
      const [min, max] = RANGES[range];
      // parseAndValidateQty: 0 when it does not parse, else clamped to the range.
      q.set(field, v === undefined ? 0n : v < min ? min : v > max ? max : v);
    }
  }
  const get = (f: string) => q.get(f) ?? 0n;
  for (const dir of ['ingress', 'egress']) {
    const [bandwidth, burst, peakrate, minburst, rate, packetBurst] = [
      `${dir}Bandwidth`,
      `${dir}Burst`,
      `${dir}Peakrate`,
      `${dir}Minburst`,
      `${dir}PacketRate`,
      `${dir}PacketBurst`,
    ];
    if (get(burst) !== 0n && get(bandwidth) === 0n) q.set(burst, 0n);
    if (get(peakrate) !== 0n && (get(bandwidth) === 0n || get(bandwidth) >= get(peakrate)))
      q.set(peakrate, 0n);
    if (get(minburst) !== 0n && get(peakrate) === 0n) q.set(minburst, 0n);
    if (get(packetBurst) !== 0n && get(rate) === 0n) q.set(packetBurst, 0n);
    if (get(bandwidth) !== 0n && get(burst) === 0n) q.set(burst, DEFAULT_BURST);
    if (get(rate) !== 0n && get(packetBurst) === 0n) q.set(packetBurst, DEFAULT_PACKET_BURST);
  }
  const out: Record<string, unknown> = {};
  for (const [field] of FIELDS) if (get(field) !== 0n) out[field] = Number(get(field));
  const dscpText = annotations['qos.projectcalico.org/dscp'];
  const d = dscpText === undefined ? undefined : dscp(dscpText);
  if (d !== undefined) out['dscp'] = d;
  return Object.keys(out).length > 0 ? out : undefined;
}
