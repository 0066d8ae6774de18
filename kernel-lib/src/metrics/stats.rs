//! Statistics for reports: mean ± standard deviation over seeds, the Wilcoxon signed-rank test
//! (exact for small samples, as the SeqMix paper uses it with N = 6), and bootstrap confidence
//! intervals (over seeds, or over test sentences for F1).
//!
//! ```
//! use seqlab::metrics::stats::{summarize, wilcoxon, Alternative};
//!
//! let s = summarize(&[84.0, 85.0, 86.0]).unwrap();
//! assert_eq!(s.to_string(), "85.00 ± 1.00");
//!
//! // Six matched points, all in favour of `a`: the smallest exact two-sided p is 2/2^6.
//! let a = [81.7, 85.3, 86.0, 86.5, 87.1, 87.4];
//! let b = [69.0, 83.6, 85.0, 85.5, 86.2, 86.8];
//! let w = wilcoxon(&a, &b, Alternative::TwoSided).unwrap();
//! assert_eq!(w.p_value, 0.03125);
//! ```

use std::fmt;

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Mean, sample standard deviation (n − 1), extremes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Number of values.
    pub n: usize,
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (0 for a single value).
    pub std: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
}

impl fmt::Display for Summary {
    /// `mean ± std` with the precision given (default 2 decimals); the mean alone for a
    /// single value, whose sample standard deviation is undefined.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = f.precision().unwrap_or(2);
        f.write_str(&mean_pm_std(self.mean, self.std, self.n, p, false))
    }
}

/// `mean ± std` over `n` values with `decimals` decimals (a leading sign on the mean when
/// `signed`), or the mean alone when `n < 2`: a sample standard deviation needs two values,
/// and "± 0.00" over one seed would read as a measured spread.
///
/// ```
/// use seqlab::metrics::stats::mean_pm_std;
///
/// assert_eq!(mean_pm_std(74.114, 0.1, 3, 2, false), "74.11 ± 0.10");
/// assert_eq!(mean_pm_std(54.58, 0.0, 1, 2, false), "54.58");
/// assert_eq!(mean_pm_std(0.47, 0.2, 3, 2, true), "+0.47 ± 0.20");
/// ```
pub fn mean_pm_std(mean: f64, std: f64, n: usize, decimals: usize, signed: bool) -> String {
    let m = if signed {
        format!("{mean:+.decimals$}")
    } else {
        format!("{mean:.decimals$}")
    };
    if n < 2 {
        m
    } else {
        format!("{m} ± {std:.decimals$}")
    }
}

/// Summarizes finite values.
///
/// # Errors
/// On an empty slice or a non-finite value.
pub fn summarize(values: &[f64]) -> Result<Summary> {
    check_finite(values)?;
    if values.is_empty() {
        return Err(Error::Stats("cannot summarize no values".into()));
    }
    let n = values.len();
    let mean = values.iter().sum::<f64>() / n as f64;
    let var = if n > 1 {
        values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64
    } else {
        0.0
    };
    Ok(Summary {
        n,
        mean,
        std: var.sqrt(),
        min: values.iter().copied().fold(f64::INFINITY, f64::min),
        max: values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    })
}

fn check_finite(values: &[f64]) -> Result<()> {
    match values.iter().find(|x| !x.is_finite()) {
        Some(x) => Err(Error::Stats(format!("value {x} is not finite"))),
        None => Ok(()),
    }
}

/// The alternative hypothesis of a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Alternative {
    /// The paired differences are not centred on 0.
    TwoSided,
    /// `x` tends to be larger than `y`.
    Greater,
    /// `x` tends to be smaller than `y`.
    Less,
}

/// How the p-value was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// The exact permutation distribution of the signed-rank sum (ties handled with mid-ranks).
    Exact,
    /// The normal approximation with tie correction, no continuity correction (as SciPy).
    Normal,
}

/// Result of a Wilcoxon signed-rank test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Wilcoxon {
    /// Pairs with a non-zero difference (zeros are dropped, SciPy's `zero_method="wilcox"`).
    pub n: usize,
    /// Sum of ranks of positive differences `x − y`.
    pub w_plus: f64,
    /// Sum of ranks of negative differences.
    pub w_minus: f64,
    /// The statistic SciPy reports: `min(W+, W−)` for two-sided tests, else `W+`.
    pub statistic: f64,
    /// The p-value.
    pub p_value: f64,
    /// Exact or normal approximation.
    pub method: Method,
}

/// Largest number of non-zero pairs for which the exact distribution is used (as SciPy).
pub const EXACT_MAX_N: usize = 50;

/// Wilcoxon signed-rank test of paired samples `x` and `y`.
///
/// Exact when at most [`EXACT_MAX_N`] pairs differ; the exact distribution conditions on the
/// observed (mid-)ranks, so it stays exact with ties. Matches SciPy's
/// `scipy.stats.wilcoxon(x, y, alternative=...)` when there are no ties.
///
/// # Errors
/// Unequal lengths, non-finite values, or no pair with a non-zero difference.
pub fn wilcoxon(x: &[f64], y: &[f64], alternative: Alternative) -> Result<Wilcoxon> {
    if x.len() != y.len() {
        return Err(Error::Stats(format!(
            "paired samples differ in length: {} vs {}",
            x.len(),
            y.len()
        )));
    }
    check_finite(x)?;
    check_finite(y)?;
    let d: Vec<f64> = x
        .iter()
        .zip(y)
        .map(|(a, b)| a - b)
        .filter(|d| *d != 0.0)
        .collect();
    let n = d.len();
    if n == 0 {
        return Err(Error::Stats(
            "every paired difference is zero; the test is undefined".into(),
        ));
    }
    // Mid-ranks of |d|, doubled so that they are integers.
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| d[a].abs().total_cmp(&d[b].abs()));
    let mut rank2 = vec![0u64; n];
    let mut tie_sizes = Vec::new();
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && d[order[j + 1]].abs() == d[order[i]].abs() {
            j += 1;
        }
        // ranks i+1 ..= j+1, mean (i+j+2)/2, doubled: i+j+2
        for &k in &order[i..=j] {
            rank2[k] = (i + j + 2) as u64;
        }
        tie_sizes.push(j - i + 1);
        i = j + 1;
    }
    let w_plus2: u64 = (0..n).filter(|&k| d[k] > 0.0).map(|k| rank2[k]).sum();
    let total2: u64 = rank2.iter().sum();
    let w_plus = w_plus2 as f64 / 2.0;
    let w_minus = (total2 - w_plus2) as f64 / 2.0;
    let statistic = match alternative {
        Alternative::TwoSided => w_plus.min(w_minus),
        _ => w_plus,
    };

    let (p_value, method) = if n <= EXACT_MAX_N {
        // Distribution of the doubled W+ over the 2^n sign assignments.
        let mut counts = vec![0f64; total2 as usize + 1];
        counts[0] = 1.0;
        let mut reach = 0usize;
        for &r in &rank2 {
            let r = r as usize;
            for s in (0..=reach).rev() {
                if counts[s] != 0.0 {
                    counts[s + r] += counts[s];
                }
            }
            reach += r;
        }
        let all = 2f64.powi(n as i32);
        let w = w_plus2 as usize;
        let p_le: f64 = counts[..=w].iter().sum::<f64>() / all;
        let p_ge: f64 = counts[w..].iter().sum::<f64>() / all;
        let p = match alternative {
            Alternative::TwoSided => (2.0 * p_le.min(p_ge)).min(1.0),
            Alternative::Greater => p_ge,
            Alternative::Less => p_le,
        };
        (p, Method::Exact)
    } else {
        let nf = n as f64;
        let mean = nf * (nf + 1.0) / 4.0;
        let ties: f64 = tie_sizes
            .iter()
            .map(|&t| {
                let t = t as f64;
                t * (t * t - 1.0)
            })
            .sum();
        let var = (nf * (nf + 1.0) * (2.0 * nf + 1.0) - 0.5 * ties) / 24.0;
        let z = (w_plus - mean) / var.sqrt();
        let p = match alternative {
            Alternative::TwoSided => (2.0 * normal_sf(z.abs())).min(1.0),
            Alternative::Greater => normal_sf(z),
            Alternative::Less => normal_sf(-z),
        };
        (p, Method::Normal)
    };
    Ok(Wilcoxon {
        n,
        w_plus,
        w_minus,
        statistic,
        p_value,
        method,
    })
}

/// Survival function of the standard normal distribution, `P(Z > z)`.
pub fn normal_sf(z: f64) -> f64 {
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

/// Complementary error function, relative error below about 1e-13.
///
/// For |x| < 2 from the everywhere-positive series
/// `erf(x) = 2/√π · e^(−x²) · Σ 2ⁿ x^(2n+1) / (1·3···(2n+1))`; beyond, from the continued
/// fraction of `erfc`, evaluated with the modified Lentz method.
pub fn erfc(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    let two_over_sqrt_pi = 2.0 / std::f64::consts::PI.sqrt();
    if x < 2.0 {
        let x2 = x * x;
        let mut term = x;
        let mut sum = x;
        let mut k = 0.0;
        while term > sum * 1e-17 {
            k += 1.0;
            term *= 2.0 * x2 / (2.0 * k + 1.0);
            sum += term;
        }
        return 1.0 - two_over_sqrt_pi * (-x2).exp() * sum;
    }
    // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))
    let tiny = 1e-300;
    let mut f = x;
    let mut c = x;
    let mut d = 0.0;
    for k in 1..500 {
        let a = k as f64 / 2.0;
        d = x + a * d;
        d = if d.abs() < tiny { tiny } else { d };
        c = x + a / c;
        c = if c.abs() < tiny { tiny } else { c };
        d = 1.0 / d;
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    (-x * x).exp() / (std::f64::consts::PI.sqrt() * f)
}

/// A two-sided confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// The statistic on the full sample.
    pub estimate: f64,
    /// Lower bound.
    pub low: f64,
    /// Upper bound.
    pub high: f64,
    /// Coverage, e.g. 0.95.
    pub level: f64,
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = f.precision().unwrap_or(2);
        write!(
            f,
            "{:.p$} [{:.p$}, {:.p$}]",
            self.estimate, self.low, self.high
        )
    }
}

/// Percentile bootstrap: `statistic` is computed on the full index set `0..n` and on
/// `resamples` resamples drawn with replacement from `rng`; the interval holds the central
/// `level` of the resampled values (linear interpolation between order statistics).
///
/// # Errors
/// `n == 0`, `resamples == 0`, `level` outside (0, 1), or a non-finite statistic.
pub fn bootstrap<R: Rng + ?Sized>(
    n: usize,
    resamples: usize,
    level: f64,
    rng: &mut R,
    mut statistic: impl FnMut(&[usize]) -> f64,
) -> Result<Interval> {
    if n == 0 || resamples == 0 || !(level > 0.0 && level < 1.0) {
        return Err(Error::Stats(format!(
            "bootstrap needs n > 0, resamples > 0 and 0 < level < 1 (got {n}, {resamples}, {level})"
        )));
    }
    let full: Vec<usize> = (0..n).collect();
    let estimate = statistic(&full);
    let mut values = Vec::with_capacity(resamples);
    let mut idx = vec![0usize; n];
    for _ in 0..resamples {
        for slot in idx.iter_mut() {
            *slot = rng.random_range(0..n);
        }
        values.push(statistic(&idx));
    }
    check_finite(&values)?;
    values.sort_by(f64::total_cmp);
    let alpha = (1.0 - level) / 2.0;
    Ok(Interval {
        estimate,
        low: quantile(&values, alpha),
        high: quantile(&values, 1.0 - alpha),
        level,
    })
}

/// Bootstrap interval of the mean of `values`.
///
/// # Errors
/// As [`bootstrap`], or a non-finite value.
pub fn bootstrap_mean<R: Rng + ?Sized>(
    values: &[f64],
    resamples: usize,
    level: f64,
    rng: &mut R,
) -> Result<Interval> {
    check_finite(values)?;
    bootstrap(values.len(), resamples, level, rng, |idx| {
        idx.iter().map(|&i| values[i]).sum::<f64>() / idx.len() as f64
    })
}

/// Quantile `q` of sorted values, linear interpolation (NumPy's default).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn summary_uses_sample_std() {
        let s = summarize(&[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_eq!(s.mean, 2.5);
        assert!((s.std - 1.2909944487358056).abs() < 1e-15);
        assert_eq!((s.min, s.max), (1.0, 4.0));
        assert_eq!(summarize(&[5.0]).unwrap().std, 0.0);
        assert!(summarize(&[]).is_err());
        assert!(summarize(&[1.0, f64::NAN]).is_err());
        assert_eq!(format!("{:.1}", s), "2.5 ± 1.3");
    }

    #[test]
    fn erfc_matches_reference_values() {
        // Reference values: scipy.special.erfc (SciPy 1.17).
        for (x, want) in [
            (0.0, 1.0),
            (0.5, 0.4795001221869535),
            (1.0, 0.15729920705028516),
            (1.99, 0.004888586800383002),
            (2.0, 0.004677734981047266),
            (2.9, 4.109787809945884e-05),
            (3.0, 2.2090496998585445e-05),
            (5.0, 1.5374597944280347e-12),
            (-1.0, 1.8427007929497148),
        ] {
            let got = erfc(x);
            assert!(
                ((got - want) / want).abs() < 1e-12,
                "erfc({x}) = {got}, want {want}"
            );
        }
        assert!((normal_sf(1.959963984540054) - 0.025).abs() < 1e-15);
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs().max(1e-300)
    }

    #[test]
    #[allow(clippy::approx_constant)] // 3.14 below is data, not π
    fn wilcoxon_matches_scipy() {
        // scipy.stats.wilcoxon (SciPy 1.17.1), default zero_method and method="auto".
        let a = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30];
        let b = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29];
        for (alt, stat, p) in [
            (Alternative::TwoSided, 5.0, 0.0390625),
            (Alternative::Greater, 40.0, 0.01953125),
            (Alternative::Less, 40.0, 0.986328125),
        ] {
            let w = wilcoxon(&a, &b, alt).unwrap();
            assert_eq!(w.method, Method::Exact);
            assert_eq!(w.statistic, stat, "{alt:?}");
            assert!(close(w.p_value, p), "{alt:?}: {} vs {p}", w.p_value);
        }
        // n = 60 > 50: normal approximation.
        // u = np.round(np.random.default_rng(0).normal(0.3, 1, 60), 6); wilcoxon(u, zeros)
        let u = [
            0.42573, 0.167895, 0.940423, 0.4049, -0.235669, 0.661595, 1.604, 1.247081, -0.403735,
            -0.965421, -0.323274, 0.341326, -2.025031, 0.081208, -0.945911, -0.432267, -0.244259,
            -0.0163, 0.711631, 1.342513, 0.171465, 1.666463, -0.365195, 0.65151, 1.20347, 0.394012,
            -0.443499, -0.621725, -0.157726, 0.520195, -0.709618, 0.090824, 0.140775, 0.840846,
            0.514659, 0.655373, -0.353829, 0.170386, 1.083975, 1.793431, -0.959066, 1.813924,
            1.645875, 1.081311, 0.564456, -0.013923, 1.758021, 2.260258, 2.101635, 1.615104,
            0.65738, -0.908319, 0.295546, 0.956475, -0.988361, 0.695122, 0.729864, 0.996043,
            -0.884118, -0.361703,
        ];
        let zeros = [0.0; 60];
        let w = wilcoxon(&u, &zeros, Alternative::TwoSided).unwrap();
        assert_eq!((w.method, w.statistic), (Method::Normal, 517.0));
        assert!(close(w.p_value, 0.003390514676035299), "{}", w.p_value);
        let w = wilcoxon(&u, &zeros, Alternative::Greater).unwrap();
        assert_eq!(w.statistic, 1313.0);
        assert!(close(w.p_value, 0.0016952573380176496), "{}", w.p_value);
        // Ties, normal approximation with tie correction:
        // wilcoxon([1,1,2,2,2,-3,4,4,-1,5,6,7,-2,3,3]*4, method="approx")
        let t: Vec<f64> = [1, 1, 2, 2, 2, -3, 4, 4, -1, 5, 6, 7, -2, 3, 3]
            .repeat(4)
            .into_iter()
            .map(f64::from)
            .collect();
        let w = wilcoxon(&t, &[0.0; 60], Alternative::TwoSided).unwrap();
        assert_eq!(w.statistic, 246.0);
        assert!(close(w.p_value, 7.503458046744019e-07), "{}", w.p_value);
    }

    #[test]
    fn exact_distribution_with_ties_sums_to_one() {
        // With tied |d| the exact p-value still lies in (0, 1] and is symmetric.
        let x = [1.0, 1.0, 2.0, -2.0, 3.0];
        let g = wilcoxon(&x, &[0.0; 5], Alternative::Greater).unwrap();
        let l = wilcoxon(&x, &[0.0; 5], Alternative::Less).unwrap();
        assert_eq!(g.method, Method::Exact);
        assert!(g.p_value > 0.0 && g.p_value <= 1.0);
        // P(W+ >= w) + P(W+ <= w) = 1 + P(W+ = w) > 1.
        assert!(g.p_value + l.p_value > 1.0);
    }

    #[test]
    fn wilcoxon_errors() {
        assert!(wilcoxon(&[1.0], &[1.0, 2.0], Alternative::TwoSided).is_err());
        assert!(wilcoxon(&[1.0, 2.0], &[1.0, 2.0], Alternative::TwoSided).is_err());
    }

    #[test]
    fn bootstrap_is_seeded_and_brackets_the_estimate() {
        let values: Vec<f64> = (0..40).map(|i| (i % 7) as f64).collect();
        let mut r1 = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let mut r2 = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let a = bootstrap_mean(&values, 500, 0.95, &mut r1).unwrap();
        let b = bootstrap_mean(&values, 500, 0.95, &mut r2).unwrap();
        assert_eq!(a, b);
        assert!(a.low < a.estimate && a.estimate < a.high);
        assert!(bootstrap_mean(&values, 0, 0.95, &mut r1).is_err());
        assert!(bootstrap_mean(&values, 10, 1.0, &mut r1).is_err());
    }

    #[test]
    fn quantiles_interpolate() {
        let s = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile(&s, 0.0), 1.0);
        assert_eq!(quantile(&s, 0.5), 2.5);
        assert_eq!(quantile(&s, 1.0), 4.0);
    }
}
