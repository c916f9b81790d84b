/**
 * KVM_REQUEST_WAIT and READING_SHADOW_PAGE_TABLES: a shadow-MMU zapper must not free a page
 * table page while a vCPU may still be walking it locklessly.
 *
 * Follows Documentation/virtual/kvm/vcpu-requests.rst (Linux 4.13), "VCPU Mode"
 * (READING_SHADOW_PAGE_TABLES), "KVM_REQUEST_WAIT" and "Waiting for Acknowledgements" (seed 001),
 * and ../shared/PROTOCOLS.md section 1: the lockless shadow walk of V, the zapper Z,
 * kvm_make_all_cpus_request / kvm_make_vcpu_request, property S4, variants B3, B4 and B5.
 *
 * Each vCPU thread does lockless walks (arch/x86/kvm/mmu.c v4.2 walk_shadow_page_lockless_begin,
 * for_each_shadow_entry_lockless, walk_shadow_page_lockless_end): interrupts off, mode =
 * READING_SHADOW_PAGE_TABLES, smp_mb(), read the parent spte, follow it into the shadow page,
 * smp_mb(), mode = OUTSIDE_GUEST_MODE, interrupts on. The zapper unlinks that shadow page from
 * its parent spte, calls kvm_flush_remote_tlbs() (kvm_make_all_cpus_request(KVM_REQ_TLB_FLUSH),
 * a WAIT | NO_WAKEUP request, over every vCPU) and then frees the page. The IPI of a WAIT request
 * is acknowledged only once the target has interrupts on again, i.e. after its walk: that is the
 * whole protection, so the zapper must send it to every vCPU that is not OUTSIDE_GUEST_MODE.
 *
 * Freeing is modelled as the page's next owner overwriting it (a store of FREED), so a walk that
 * reads FREED has dereferenced freed memory whatever the memory model made it see.
 *
 * Not modelled: the EXITING_GUEST_MODE case of B3 (a vCPU still in the guest on a stale TLB after
 * an earlier kicker's IPI that nobody waited for; it needs guest entries and a TLB, which
 * tlb-flush models own), the TDP MMU (whose lockless walks use RCU instead of vcpu->mode), and
 * vcpu->cpu / the requester's own CPU (every vCPU is on another CPU).
 */
import { defineModel, enumDomain, int, intDomain, type ProcessBuilder } from '../checker/index.ts';
import {
  cmpxchg,
  type IrqSlots,
  local_irq_disable,
  local_irq_enable,
  READ_ONCE,
  set_bit,
  smp_mb,
  smp_mb__before_atomic,
  smp_send_reschedule,
  smp_wmb,
  WRITE_ONCE,
} from '../checker/kernel/index.ts';
import { EXITING_GUEST_MODE, IN_GUEST_MODE, MODES, OUTSIDE_GUEST_MODE } from './vcpu-requests.ts';

const READING_SHADOW_PAGE_TABLES = 3;
/** KVM_REQ_TLB_FLUSH = 0 | KVM_REQUEST_WAIT | KVM_REQUEST_NO_WAKEUP; bit 0 once masked. */
const KVM_REQ_TLB_FLUSH = 0;

/** The parent spte: not present, or pointing at the shadow page being zapped. */
const PARENT = ['0 (not present)', '&sp->spt'] as const;
/** A word of the shadow page: a live spte, or whatever the page's next owner wrote after the free. */
const SPT = ['spte', 'FREED'] as const;
const FREED = 1;
/** What the walker got from the shadow page. */
const WALKED = ['nothing', 'spte', 'FREED'] as const;

export default defineModel({
  name: 'vcpu-requests-wait',
  title: 'KVM_REQUEST_WAIT: lockless shadow-page walks (READING_SHADOW_PAGE_TABLES) vs a zapper',
  source:
    'vcpu-requests.rst "VCPU Mode", "KVM_REQUEST_WAIT", "Waiting for Acknowledgements"; PROTOCOLS.md §1 (S4; B3, B4, B5)',
  params: {
    vcpus: int(1, 3, 2, 'vCPU threads doing lockless shadow walks, each on its own CPU'),
    walks: int(1, 2, 1, 'lockless walks each vCPU makes'),
  },
  variants: {
    fixed:
      'walk_shadow_page_lockless_begin/end with smp_mb(); the WAIT request sends its IPI to every vCPU ' +
      'not OUTSIDE_GUEST_MODE and waits for the acknowledgements before freeing',
    'wait-in-guest-test':
      'B3: kvm_request_needs_ipi tests mode == IN_GUEST_MODE for the WAIT request, so a walker in ' +
      'READING_SHADOW_PAGE_TABLES gets no IPI and is not waited for',
    'no-mb-walk-begin':
      'B4: no smp_mb() after WRITE_ONCE(mode, READING_SHADOW_PAGE_TABLES) in walk_shadow_page_lockless_begin',
    'no-mb-walk-end':
      'B5: no smp_mb() before WRITE_ONCE(mode, OUTSIDE_GUEST_MODE) in walk_shadow_page_lockless_end ' +
      '(load->store reordering: relaxed models only; holds under sc and tso)',
  },
  build(b, { params, variant }) {
    const vcpus = params.vcpus as number;
    const walks = params.walks as number;
    const mbBegin = variant !== 'no-mb-walk-begin';
    const mbEnd = variant !== 'no-mb-walk-end';

    const mode = b.sharedArray('vcpu->mode', vcpus, enumDomain(MODES), OUTSIDE_GUEST_MODE);
    const requests = b.sharedArray('vcpu->requests', vcpus, intDomain(0, 1));
    const parentSpte = b.shared('parent_spte', enumDomain(PARENT), 1);
    const spt = b.shared('sp->spt[i]', enumDomain(SPT), 0);

    const walkers: ProcessBuilder[] = [];
    const cpu: IrqSlots[] = [];
    const walked: number[] = [];

    // No symmetry declaration: kvm_make_all_cpus_request visits the vCPUs in index order, so
    // permuting them is not an automorphism of this model.
    for (let v = 0; v < vcpus; v++) {
      const V = b.process(`vcpu${v}`);
      walkers.push(V);
      const got = V.local('walked', enumDomain(WALKED));
      walked.push(got);
      const left = V.local('walks_left', intDomain(0, walks), walks);
      const L = {
        irqOff: V.label('local_irq_disable'),
        mbEnd: mbEnd ? V.label('smp_mb_end') : -1,
        clearMode: V.label('clear_mode'),
      };
      const afterWalk = mbEnd ? L.mbEnd : L.clearMode;

      // The acknowledgement is the (empty) IPI handler running, which needs interrupts on.
      cpu.push(V.interruptible('IPI taken (ack_kick)'));
      const irq = cpu[v]!;

      V.step('local_irq_disable', 'walk_shadow_page_lockless_begin(): local_irq_disable()', (c) => {
        local_irq_disable(c, irq);
      });
      V.step('set_mode', 'vcpu->mode = READING_SHADOW_PAGE_TABLES', (c) => {
        WRITE_ONCE(c, mode[v]!, READING_SHADOW_PAGE_TABLES);
      });
      if (mbBegin) {
        V.step('smp_mb', 'smp_mb()  /* spte reads not before the mode store */', (c) => {
          smp_mb(c);
        });
      }
      V.step('read_parent_spte', 'for_each_shadow_entry_lockless: spte = READ_ONCE(*parent_sptep)', (c) =>
        READ_ONCE(c, parentSpte) === 0 ? afterWalk : undefined,
      );
      V.step('read_spte', 'follow it into the shadow page: READ_ONCE(sp->spt[i])', (c) => {
        c.set(got, READ_ONCE(c, spt) === FREED ? 2 : 1);
        return afterWalk;
      });
      if (mbEnd) {
        V.step(
          'smp_mb_end',
          'walk_shadow_page_lockless_end(): smp_mb()  /* spte reads before the mode store */',
          (c) => {
            smp_mb(c);
          },
        );
      }
      V.step('clear_mode', 'vcpu->mode = OUTSIDE_GUEST_MODE', (c) => {
        WRITE_ONCE(c, mode[v]!, OUTSIDE_GUEST_MODE);
      });
      V.step('local_irq_enable', 'local_irq_enable()', (c) => {
        local_irq_enable(c, irq);
        const n = c.get(left) - 1;
        c.set(left, n);
        return n > 0 ? L.irqOff : V.done;
      });
    }

    const Z = b.process('zapper');
    const target = Z.local('vcpu', intDomain(0, vcpus - 1));
    const mask = Z.local('cpus', intDomain(0, (1 << vcpus) - 1));
    const ZL = {
      unlink: Z.label('unlink'),
      request: Z.label('kvm_make_request'),
      needsIpi: Z.label('kvm_request_needs_ipi'),
      send: Z.label('smp_call_function_many'),
      wait: Z.label('csd_lock_wait'),
      free: Z.label('kvm_mmu_commit_zap_page'),
    };
    Z.step('unlink', 'kvm_mmu_prepare_zap_page(): mmu_spte_clear_no_track(parent_sptep)', (c) => {
      WRITE_ONCE(c, parentSpte, 0);
    });
    Z.step(
      'kvm_make_request',
      'kvm_flush_remote_tlbs() -> kvm_make_all_cpus_request(KVM_REQ_TLB_FLUSH): for each vcpu: ' +
        'smp_wmb(); set_bit(KVM_REQ_TLB_FLUSH, &vcpu->requests)  /* NO_WAKEUP: no kvm_vcpu_wake_up */',
      (c) => {
        smp_wmb(c);
        set_bit(c, KVM_REQ_TLB_FLUSH, requests[c.get(target)]!);
      },
    );
    Z.step(
      'kvm_request_needs_ipi',
      variant === 'wait-in-guest-test'
        ? 'mode = kvm_vcpu_exiting_guest_mode(vcpu); needs IPI if mode == IN_GUEST_MODE  /* WAIT ignored */'
        : 'mode = kvm_vcpu_exiting_guest_mode(vcpu); needs IPI if mode != OUTSIDE_GUEST_MODE  /* WAIT */',
      (c) => {
        const v = c.get(target);
        smp_mb__before_atomic(c);
        const old = cmpxchg(c, mode[v]!, IN_GUEST_MODE, EXITING_GUEST_MODE);
        const needsIpi =
          variant === 'wait-in-guest-test' ? old === IN_GUEST_MODE : old !== OUTSIDE_GUEST_MODE;
        if (needsIpi) c.set(mask, c.get(mask) | (1 << v));
        if (v + 1 < vcpus) {
          c.set(target, v + 1);
          return ZL.request;
        }
        return ZL.send;
      },
    );
    Z.step('smp_call_function_many', 'smp_call_function_many(cpus, ack_kick, NULL, wait = true)', (c) => {
      const m = c.get(mask);
      for (let v = 0; v < vcpus; v++) if (m & (1 << v)) smp_send_reschedule(c, cpu[v]!);
    });
    Z.step('csd_lock_wait', 'wait until every CPU in the mask has run ack_kick', (c) => {
      const m = c.get(mask);
      for (let v = 0; v < vcpus; v++) if (m & (1 << v) && c.get(cpu[v]!.pending) === 1) c.block();
    });
    Z.step('kvm_mmu_commit_zap_page', 'kvm_mmu_free_page(sp): the page goes back to the allocator', (c) => {
      WRITE_ONCE(c, spt, FREED);
      return Z.done;
    });

    b.invariant(
      'noFreedPageRead',
      'S4: the zapper never frees a shadow page that a vCPU still reads inside a READING_SHADOW_PAGE_TABLES section',
      (s) => {
        for (let v = 0; v < vcpus; v++) if (s[walked[v]!] === 2) return false;
        return true;
      },
    );
    b.reachable(
      'flushWaitsForWalker',
      'the zapper waits for the acknowledgement of a vCPU that is inside a lockless walk (the racy window is entered)',
      (s) => {
        if (!Z.at(s, ZL.wait)) return false;
        // Interrupts are off exactly inside walk_shadow_page_lockless_begin ... _end.
        for (let v = 0; v < vcpus; v++) if (s[cpu[v]!.pending] === 1 && s[cpu[v]!.irqsOff] === 1) return true;
        return false;
      },
    );
  },
});
