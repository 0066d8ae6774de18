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
/// # Safety
/// Sets an environment variable: call it before any other thread has started.
pub unsafe fn configure_cpu_threads() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cores <= 4 && std::env::var_os("CANDLE_NUM_THREADS").is_none() {
        // SAFETY: the caller guarantees that no other thread runs yet.
        unsafe { std::env::set_var("CANDLE_NUM_THREADS", "1") };
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
