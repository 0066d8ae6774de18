//! Models on candle: a layer-addressable BERT encoder ([`bert`]), the sentence embedder with
//! exact kNN ([`embed`]), building blocks with seeded dropout ([`ops`]) and named parameters
//! ([`params`]).

pub mod bert;
pub mod embed;
pub mod ops;
pub mod params;

pub use bert::{BertConfig, BertEncoder};
pub use ops::Pass;
pub use params::ParamStore;

use candle_core::Device;

use crate::error::{Error, Result};

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
    Device::new_cuda(0).map_err(|e| Error::Model(format!("no CUDA device: {e}")))
}

/// A short name for reports: `cpu` or `cuda:N`.
pub fn device_name(device: &Device) -> String {
    match device {
        Device::Cpu => "cpu".into(),
        Device::Cuda(_) => "cuda:0".into(),
        Device::Metal(_) => "metal".into(),
    }
}
