//! Models on candle: a layer-addressable BERT encoder ([`bert`]); causal language models for
//! perplexity ([`lm`], with [`llama`] for SmolLM2's GGUF and [`gpt2`]); the sentence embedder with
//! exact kNN ([`embed`]), building blocks with seeded dropout ([`ops`]), fused CPU kernels with
//! backward passes ([`kernels`], [`attention`]) and named parameters ([`params`]).

pub mod attention;
pub mod bert;
pub mod embed;
pub mod gpt2;
pub mod kernels;
pub mod llama;
pub mod lm;
pub mod ops;
pub mod params;
pub mod tiny;

pub use bert::{BertConfig, BertEncoder, EncoderInput};
pub use lm::CausalLm;
pub use ops::Pass;
pub use params::ParamStore;

use candle_core::Device;

use crate::error::{Error, Result};

/// Keeps freed tensor buffers in the process heap instead of returning them to the system.
///
/// glibc's `malloc` serves large allocations (tensor buffers) with `mmap` and frees them with
/// `munmap`. In a multi-threaded process every `munmap` interrupts the other cores to flush their
/// address translations, and the next allocation faults its pages in again; on the 2-core
/// machine this took most of the time of candle's element-wise backward passes. Raising
/// `M_MMAP_THRESHOLD` and `M_TRIM_THRESHOLD` to 1 GiB makes freed buffers reusable (measured:
/// 6× on an element-wise forward+backward, about 1.3× on a MiniLM training step); the price is
/// that memory is not returned to the system before the process ends.
///
/// Runs once, automatically, when the first [`ParamStore`] is created. No effect outside
/// Linux with glibc.
pub fn tune_allocator() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        {
            unsafe extern "C" {
                fn mallopt(param: i32, value: i32) -> i32;
            }
            const M_TRIM_THRESHOLD: i32 = -1;
            const M_MMAP_THRESHOLD: i32 = -3;
            // SAFETY: mallopt only changes allocator parameters; both values are in range.
            unsafe {
                mallopt(M_MMAP_THRESHOLD, 1 << 30);
                mallopt(M_TRIM_THRESHOLD, 1 << 30);
            }
        }
    });
}

/// On machines with at most 4 cores, runs candle's own element-wise operations on the calling
/// thread (`CANDLE_NUM_THREADS=1`) unless the variable is already set; matrix products and
/// seqlab's fused kernels still use all cores through rayon.
///
/// candle keeps a second pool for element-wise operations whose worker spins for a while after
/// each operation; with two cores that spinning takes a core from the matrix products that
/// follow (measured on the MiniLM training step: about 10 % of the CPU time, see
/// `reports/perf/tagger`). Programs call this first thing in `main`; the `seqlab` binary does.
///
/// It also flushes subnormal floats to zero ([`flush_subnormals`]) on the calling thread and on
/// every thread of rayon's global pool, which it builds (unless another part of the program
/// built it first), unless `SEQLAB_KEEP_SUBNORMALS` is set.
///
/// # Safety
/// Sets an environment variable: call it before any other thread has started.
pub unsafe fn configure_cpu_threads() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cores <= 4 && std::env::var_os("CANDLE_NUM_THREADS").is_none() {
        // SAFETY: the caller guarantees that no other thread runs yet.
        unsafe { std::env::set_var("CANDLE_NUM_THREADS", "1") };
    }
    if !keep_subnormals() {
        flush_subnormals();
        // An error means the pool exists already; `flush_subnormals_for_compute` then reaches
        // its threads when the first model runs.
        let _ = rayon::ThreadPoolBuilder::new()
            .start_handler(|_| flush_subnormals())
            .build_global();
    }
}

/// Whether `SEQLAB_KEEP_SUBNORMALS` is set (read once per process).
fn keep_subnormals() -> bool {
    static KEEP: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *KEEP.get_or_init(|| std::env::var_os("SEQLAB_KEEP_SUBNORMALS").is_some())
}

/// [`flush_subnormals`] on the calling thread and, once per process, on every thread of
/// rayon's global pool (where candle's matrix products and seqlab's fused kernels run), unless
/// `SEQLAB_KEEP_SUBNORMALS` is set.
///
/// Every model forward pass calls it ([`BertEncoder::embed`], the causal LMs' `forward`), so
/// programs without a `main` that calls [`configure_cpu_threads`] get the same float mode as
/// the `seqlab` binary: above all notebooks, where the evcxr kernel owns the process. Without
/// it a MiniLM training step in a notebook took 5× as long as in the binary (the quick
/// `lada-estner-5-base` run: 25 s of training against 4.7 s). Cheap: one flag test and one
/// register write per call after the first.
pub fn flush_subnormals_for_compute() {
    if keep_subnormals() {
        return;
    }
    flush_subnormals();
    static POOL: std::sync::Once = std::sync::Once::new();
    POOL.call_once(|| {
        rayon::broadcast(|_| flush_subnormals());
    });
}

/// Makes the calling thread's x86-64 float unit treat subnormal inputs and results as zero
/// (MXCSR flags FTZ and DAZ); a no-op on other targets.
///
/// Some x86 CPUs take a microcode assist, about a hundred cycles, for every operation on a
/// subnormal float. Attention probabilities and mixed hidden states underflow into that range,
/// most in Inter-LADA's batches (each sentence padded to its partner's length). On one 2-core
/// Xeon an Inter-LADA epoch on 5 % of EstNER took 84 s with the flags against more than 400 s
/// without them, with bit-identical training and dev losses (an earlier machine, without the
/// flags, took 111 s for the same epoch).
pub fn flush_subnormals() {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE is part of x86-64; only the FTZ (bit 15) and DAZ (bit 6) flags change, and
    // no code in this crate relies on subnormal results.
    #[allow(deprecated)]
    unsafe {
        use std::arch::x86_64::{_mm_getcsr, _mm_setcsr};
        _mm_setcsr(_mm_getcsr() | 0x8040);
    }
}

/// The compute device: the first CUDA GPU when `gpu` is true (needs the `cuda` feature),
/// else the CPU.
///
/// # Errors
/// A GPU was asked for but this build has no `cuda` feature, or no GPU answers.
pub fn device(gpu: bool) -> Result<Device> {
    if !gpu {
        return Ok(Device::Cpu);
    }
    if !cfg!(feature = "cuda") {
        return Err(Error::config(
            "device",
            "this seqlab was built without the `cuda` feature; rebuild with --features cuda",
        ));
    }
    Device::new_cuda(0).map_err(|e| {
        Error::Model(format!(
            "no CUDA device: {}",
            params::first_line(&e.to_string())
        ))
    })
}

/// A short name for reports: `cpu` or `cuda:N`.
pub fn device_name(device: &Device) -> String {
    match device {
        Device::Cpu => "cpu".into(),
        Device::Cuda(_) => "cuda:0".into(),
        Device::Metal(_) => "metal".into(),
    }
}

#[cfg(test)]
mod tests {
    use std::hint::black_box;

    #[test]
    fn flushed_threads_compute_subnormals_as_zero() {
        let half_of_smallest_normal = || black_box(f32::MIN_POSITIVE) * black_box(0.5f32);
        // A fresh thread each, so the test's own thread keeps the default float mode.
        let kept = std::thread::spawn(half_of_smallest_normal).join().unwrap();
        assert!(kept > 0.0 && !kept.is_normal(), "{kept}");
        let flushed = std::thread::spawn(move || {
            super::flush_subnormals();
            (
                half_of_smallest_normal(),
                black_box(kept) * black_box(1.0f32),
            )
        })
        .join()
        .unwrap();
        if cfg!(target_arch = "x86_64") {
            assert_eq!(flushed, (0.0, 0.0)); // FTZ on the result, DAZ on the input
        } else {
            assert_eq!(flushed, (kept, kept));
        }
    }

    #[test]
    fn compute_flush_reaches_every_thread_of_the_global_pool() {
        let half_of_smallest_normal = || black_box(f32::MIN_POSITIVE) * black_box(0.5f32);
        // From a fresh thread, as a notebook cell would call it; the test's pool is rayon's
        // global one, which the other tests share (they never rely on subnormal results).
        std::thread::spawn(super::flush_subnormals_for_compute)
            .join()
            .unwrap();
        let results = rayon::broadcast(|_| half_of_smallest_normal());
        assert_eq!(results.len(), rayon::current_num_threads());
        let expected = if cfg!(target_arch = "x86_64") && !super::keep_subnormals() {
            0.0
        } else {
            f32::MIN_POSITIVE * 0.5
        };
        assert!(results.iter().all(|&r| r == expected), "{results:?}");
    }
}
