/**
 * KVM's lock acquisition orders, with SRCU as a lock whose grace period waits for its readers.
 *
 * Follows Documentation/virt/kvm/locking.rst §1 "Acquisition Orders" (Linux 6.3 text, seed 000)
 * and ../shared/PROTOCOLS.md section 7: kvm->lock outside vcpu->mutex, kvm->slots_lock and
 * kvm->irq_lock; slots_lock outside irq_lock; slots_lock outside slots_arch_lock (the memslot
 * update path); synchronize_srcu(&kvm->srcu) inside kvm->lock, vcpu->mutex and slots_lock, so
 * none of those may be taken inside an srcu read side, while slots_arch_lock (released before
 * synchronize_srcu) may; vcpu->mutex outside hv_lock; mmu_lock outside tdp_mmu_pages_lock and
 * mmu_unsync_pages_lock. Each thread takes its locks in a documented order; the search then
 * checks that no interleaving deadlocks (a deadlock is a state where nothing can move).
 *
 * Broken variants (PROTOCOLS.md §7(d)): `srcu-slots-lock` takes slots_lock inside an srcu read
 * side (locking.rst: "the following is broken"), against the memslot update that calls
 * synchronize_srcu() holding slots_lock; `abba` takes kvm->lock inside vcpu->mutex.
 *
 * Simplified: one vCPU; every thread runs its path once; mmu_lock (an rwlock) is taken for read
 * by the TDP MMU fault, which is why its inner locks are spinlocks. The 2021 text's rule for
 * kvm->lock (taken inside srcu, no synchronize_srcu under it) is not a variant.
 */
import { defineModel, type ProcessBuilder } from '../checker/index.ts';
import {
  DEFINE_RWLOCK,
  mutex_lock,
  mutex_unlock,
  read_lock,
  read_unlock,
  type SrcuStruct,
  spin_lock,
  spin_unlock,
  srcu_read_lock,
  srcu_read_unlock,
  srcu_struct,
  srcuGracePeriodWaiting,
  synchronize_srcu,
  synchronize_srcu_wait,
} from '../checker/kernel/index.ts';

const THREADS = ['vm_ioctl', 'vcpu0_ioctl', 'set_memory_region'] as const;

export default defineModel({
  name: 'lock-order',
  title: 'KVM lock acquisition orders and SRCU grace periods (lockdep-style deadlock search)',
  source: 'locking.rst §1 "Acquisition Orders"; PROTOCOLS.md §7',
  params: {},
  variants: {
    fixed: 'every thread takes its locks in the documented orders',
    'srcu-slots-lock':
      'KVM_RUN takes kvm->slots_lock inside its kvm->srcu read side (srcu_read_lock + mutex_lock(&kvm->slots_lock))',
    abba: 'KVM_RUN takes kvm->lock while holding vcpu->mutex, against kvm->lock -> vcpu->mutex',
  },
  build(b, { variant }) {
    // Declared first so a cycle through it is printed starting from its read side.
    const srcu: SrcuStruct = srcu_struct(b, 'kvm->srcu', THREADS.length);
    const kvmLock = b.lock('kvm->lock');
    const vcpuMutex = b.lock('vcpu0->mutex');
    const slotsLock = b.lock('kvm->slots_lock');
    const irqLock = b.lock('kvm->irq_lock');
    const slotsArchLock = b.lock('kvm->slots_arch_lock');
    const hvLock = b.lock('kvm->arch.hyperv.hv_lock');
    const mmuLock = DEFINE_RWLOCK(b, 'kvm->mmu_lock', THREADS.length);
    const tdpPagesLock = b.lock('kvm->arch.tdp_mmu_pages_lock');
    const unsyncLock = b.lock('kvm->arch.mmu_unsync_pages_lock');

    const lock = (P: ProcessBuilder, label: string, name: string, ref: number) =>
      P.step(label, `mutex_lock(&${name})`, (c) => mutex_lock(c, ref));
    const unlock = (P: ProcessBuilder, label: string, name: string, ref: number) =>
      P.step(label, `mutex_unlock(&${name})`, (c) => mutex_unlock(c, ref));
    const sync = (P: ProcessBuilder, under: string) => {
      P.step('synchronize_srcu', `synchronize_srcu(&kvm->srcu)  /* inside ${under} */`, (c) =>
        synchronize_srcu(c, srcu),
      );
      P.step('synchronize_srcu_wait', 'synchronize_srcu(): wait for the readers that began before it', (c) =>
        synchronize_srcu_wait(c, srcu),
      );
    };

    // A VM ioctl: kvm->lock outside vcpu->mutex, slots_lock and irq_lock; slots_lock outside
    // irq_lock; then a grace period inside kvm->lock.
    const vm = b.process(THREADS[0]);
    lock(vm, 'lock_kvm', 'kvm->lock', kvmLock);
    lock(vm, 'lock_vcpu', 'vcpu->mutex', vcpuMutex);
    unlock(vm, 'unlock_vcpu', 'vcpu->mutex', vcpuMutex);
    lock(vm, 'lock_slots', 'kvm->slots_lock', slotsLock);
    lock(vm, 'lock_irq', 'kvm->irq_lock', irqLock);
    unlock(vm, 'unlock_irq', 'kvm->irq_lock', irqLock);
    unlock(vm, 'unlock_slots', 'kvm->slots_lock', slotsLock);
    sync(vm, 'kvm->lock');
    unlock(vm, 'unlock_kvm', 'kvm->lock', kvmLock);

    // KVM_RUN: vcpu->mutex, then the srcu read side of vcpu_run; inside it only slots_arch_lock
    // and the mmu_lock family; after it hv_lock and a grace period, still inside vcpu->mutex.
    const run = b.process(THREADS[1]);
    lock(run, 'lock_vcpu', 'vcpu->mutex', vcpuMutex);
    if (variant === 'abba') {
      lock(run, 'lock_kvm', 'kvm->lock  /* inside vcpu->mutex: inverted */', kvmLock);
      unlock(run, 'unlock_kvm', 'kvm->lock', kvmLock);
    }
    run.step('srcu_read_lock', 'kvm_vcpu_srcu_read_lock(vcpu): srcu_read_lock(&kvm->srcu)', (c) =>
      srcu_read_lock(c, srcu),
    );
    if (variant === 'srcu-slots-lock') {
      lock(run, 'lock_slots', 'kvm->slots_lock  /* inside kvm->srcu: broken */', slotsLock);
      unlock(run, 'unlock_slots', 'kvm->slots_lock', slotsLock);
    } else {
      lock(run, 'lock_slots_arch', 'kvm->slots_arch_lock  /* allowed inside kvm->srcu */', slotsArchLock);
      unlock(run, 'unlock_slots_arch', 'kvm->slots_arch_lock', slotsArchLock);
    }
    run.step('lock_mmu', 'read_lock(&kvm->mmu_lock)  /* TDP MMU fault */', (c) => read_lock(c, mmuLock));
    run.step('lock_tdp_pages', 'spin_lock(&kvm->arch.tdp_mmu_pages_lock)', (c) => spin_lock(c, tdpPagesLock));
    run.step('unlock_tdp_pages', 'spin_unlock(&kvm->arch.tdp_mmu_pages_lock)', (c) =>
      spin_unlock(c, tdpPagesLock),
    );
    run.step('lock_unsync', 'spin_lock(&kvm->arch.mmu_unsync_pages_lock)', (c) => spin_lock(c, unsyncLock));
    run.step('unlock_unsync', 'spin_unlock(&kvm->arch.mmu_unsync_pages_lock)', (c) =>
      spin_unlock(c, unsyncLock),
    );
    run.step('unlock_mmu', 'read_unlock(&kvm->mmu_lock)', (c) => read_unlock(c, mmuLock));
    run.step('srcu_read_unlock', 'kvm_vcpu_srcu_read_unlock(vcpu): srcu_read_unlock(&kvm->srcu)', (c) =>
      srcu_read_unlock(c, srcu),
    );
    lock(run, 'lock_hv', 'kvm->arch.hyperv.hv_lock', hvLock);
    unlock(run, 'unlock_hv', 'kvm->arch.hyperv.hv_lock', hvLock);
    sync(run, 'vcpu->mutex');
    unlock(run, 'unlock_vcpu', 'vcpu->mutex', vcpuMutex);

    // KVM_SET_USER_MEMORY_REGION: slots_lock, slots_arch_lock (dropped before the grace
    // period, as install_new_memslots does), then synchronize_srcu inside slots_lock.
    const mem = b.process(THREADS[2]);
    lock(mem, 'lock_slots', 'kvm->slots_lock', slotsLock);
    lock(mem, 'lock_slots_arch', 'kvm->slots_arch_lock', slotsArchLock);
    unlock(mem, 'unlock_slots_arch', 'kvm->slots_arch_lock  /* before synchronize_srcu */', slotsArchLock);
    sync(mem, 'kvm->slots_lock');
    unlock(mem, 'unlock_slots', 'kvm->slots_lock', slotsLock);

    b.reachable(
      'gracePeriodWaitsForReader',
      'a grace period starts while KVM_RUN is inside its srcu read side, so it must wait for it',
      (s) => srcuGracePeriodWaiting(s, srcu),
    );
  },
});
