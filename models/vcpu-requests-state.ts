/**
 * VCPU requests with associated state: the message-passing pair smp_wmb() in kvm_make_request()
 * and smp_mb__after_atomic() in kvm_check_request().
 *
 * Follows Documentation/virtual/kvm/vcpu-requests.rst (Linux 4.13), "VCPU Requests with
 * Associated State" (seed 001; scenario 3, Message and Flag, of lwn.net/Articles/573436), and
 * ../shared/PROTOCOLS.md section 1: R writes `payload` then makes the request; V sees the request
 * with kvm_request_pending() + kvm_check_request() and then reads `payload`; property S2, variant B6.
 *
 * B6 needs store->store or load->load reordering, which neither sc nor x86-TSO has (on x86 the
 * LOCKed set_bit even drains the requester's store buffer), so every variant holds under sc and
 * tso; the relaxed memory model is what shows B6.
 *
 * Not modelled: the kick and guest entry (vcpu-requests owns the mode/requests handshake; S2 does
 * not depend on it), and concurrent writers of one payload (real request state has its own lock
 * or a single writer).
 */
import { BOOL, type Context, defineModel, int, intDomain, oneOf } from '../checker/index.ts';
import {
  clear_bit,
  READ_ONCE,
  set_bit,
  smp_mb__after_atomic,
  smp_wmb,
  WRITE_ONCE,
} from '../checker/kernel/index.ts';

/** The request bit (any request whose handler reads state written by the requester). */
const REQ = 0;

export default defineModel({
  name: 'vcpu-requests-state',
  title: 'vCPU requests with associated state (smp_wmb / smp_mb__after_atomic message passing)',
  source: 'vcpu-requests.rst "VCPU Requests with Associated State"; PROTOCOLS.md §1 (S2; B6)',
  params: {
    rounds: int(1, 3, 1, 'payload + request pairs the requester makes (payload = 1, 2, ...)'),
    checks: int(1, 3, 2, 'request checks the vCPU makes before it stops'),
    drop: oneOf(
      ['smp_wmb', 'smp_mb__after_atomic', 'both'],
      'smp_wmb',
      'which barrier the no-wmb-request variant leaves out',
    ),
  },
  variants: {
    fixed: 'kvm_make_request: smp_wmb(); set_bit(); kvm_check_request: clear_bit(); smp_mb__after_atomic()',
    'no-wmb-request':
      'B6: no smp_wmb() in kvm_make_request (or, with --set drop=smp_mb__after_atomic|both, no ' +
      'smp_mb__after_atomic() in kvm_check_request); relaxed models only, holds under sc and tso',
  },
  build(b, { params, variant }) {
    const rounds = params.rounds as number;
    const checks = params.checks as number;
    const drop = variant === 'no-wmb-request' ? (params.drop as string) : 'none';
    const wmb = drop !== 'smp_wmb' && drop !== 'both';
    const afterAtomic = drop !== 'smp_mb__after_atomic' && drop !== 'both';

    const payload = b.shared('payload', intDomain(0, rounds));
    const requests = b.shared('vcpu->requests', intDomain(0, 1));
    // The payload the newest request carries, and the one the vCPU owes it when it sees a request.
    const sent = b.ghost('payload_of_request', intDomain(0, rounds));
    const stale = b.ghost('stale_payload_read', BOOL);
    const handled = b.ghost('request_handled', BOOL);

    const R = b.process('requester0');
    const round = R.local('round', intDomain(0, rounds));
    const writePayload = R.label('write_payload');
    R.step('write_payload', 'WRITE_ONCE(payload, round + 1)', (c) => {
      WRITE_ONCE(c, payload, c.get(round) + 1);
    });
    R.step(
      'kvm_make_request',
      wmb
        ? 'kvm_make_request(req, vcpu): smp_wmb(); set_bit(req, &vcpu->requests)'
        : 'kvm_make_request(req, vcpu): set_bit(req, &vcpu->requests)  /* no smp_wmb() */',
      (c) => {
        if (wmb) smp_wmb(c);
        set_bit(c, REQ, requests);
        const n = c.get(round) + 1;
        c.set(sent, n);
        c.set(round, n);
        return n < rounds ? writePayload : R.done;
      },
    );

    const V = b.process('vcpu0');
    const left = V.local('checks_left', intDomain(0, checks), checks);
    const expected = V.local('expected', intDomain(0, rounds));
    const check = V.label('check_requests');
    const next = (c: Context): number => {
      const n = c.get(left) - 1;
      c.set(left, n);
      return n > 0 ? check : V.done;
    };
    V.step('check_requests', 'kvm_request_pending(vcpu)', (c) =>
      READ_ONCE(c, requests) !== 0 ? undefined : next(c),
    );
    V.step(
      'kvm_check_request',
      afterAtomic
        ? 'kvm_check_request(req, vcpu): clear_bit(req, &vcpu->requests); smp_mb__after_atomic()'
        : 'kvm_check_request(req, vcpu): clear_bit(req, &vcpu->requests)  /* no smp_mb__after_atomic() */',
      (c) => {
        clear_bit(c, REQ, requests);
        if (afterAtomic) smp_mb__after_atomic(c);
        c.set(expected, c.get(sent));
      },
    );
    V.step('read_payload', 'handle the request: READ_ONCE(payload)', (c) => {
      if (READ_ONCE(c, payload) < c.get(expected)) c.set(stale, 1);
      c.set(handled, 1);
      return next(c);
    });

    b.invariant(
      'payloadSeen',
      'S2: once kvm_check_request() returned true, the vCPU reads the payload written before that request (or a newer one)',
      (s) => s[stale] === 0,
    );
    b.reachable('requestHandled', 'the vCPU sees a request and reads its payload', (s) => s[handled] === 1);
  },
});
