//! Charts with plotters, as SVG (inline in HTML reports and in evcxr notebooks) and PNG, from
//! one drawing function so that a chart shown in a notebook and the file in a report are the
//! same. Text uses an embedded DejaVu Sans (no system font library needed).
//!
//! Learning curves: a mean line per method with a ±1 std band over seeds and markers at each
//! point; reference numbers (a paper's) as hollow markers on a thin line; a reference level
//! (the tagger trained on all training data) as a dashed horizontal line. Every method keeps
//! its colour in every figure ([`color_for`]); random sampling is always grey.
//!
//! ```
//! use seqlab::report::charts::{Chart, Figure, Series};
//! let chart = Chart {
//!     title: "CoNLL-2003, MiniLM, 3 seeds".into(),
//!     x_label: "labeled sentences".into(),
//!     y_label: "test F1 (%)".into(),
//!     series: vec![Series::new("nte", vec![(200.0, 65.0, 1.0), (300.0, 75.0, 0.5)])],
//!     hlines: vec![("full data".into(), 88.0)],
//! };
//! let svg = chart.svg()?;
//! assert!(svg.starts_with("<svg") && svg.contains("nte") && svg.contains("full data"));
//! # Ok::<(), seqlab::Error>(())
//! ```

use std::path::Path;

use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

use crate::error::{Error, Result};

/// One line of a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend name (also picks the colour).
    pub name: String,
    /// `(x, mean, std)` points.
    pub points: Vec<(f64, f64, f64)>,
    /// Reference numbers (a paper's): hollow markers, thin line, no band.
    pub reference: bool,
}

impl Series {
    /// A measured series.
    pub fn new(name: impl Into<String>, points: Vec<(f64, f64, f64)>) -> Self {
        Series {
            name: name.into(),
            points,
            reference: false,
        }
    }

    /// A reference series (`std` is ignored).
    pub fn reference(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series {
            name: name.into(),
            points: points.into_iter().map(|(x, y)| (x, y, 0.0)).collect(),
            reference: true,
        }
    }
}

/// A line chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// Title (dataset, model, seeds, scale).
    pub title: String,
    /// X axis label.
    pub x_label: String,
    /// Y axis label.
    pub y_label: String,
    /// The lines.
    pub series: Vec<Series>,
    /// `(name, y)`: dashed horizontal reference lines across the chart (e.g. the tagger
    /// trained on all training data).
    pub hlines: Vec<(String, f64)>,
}

const WIDTH: u32 = 760;
const HEIGHT: u32 = 460;

/// The colour of a method, the same in every figure: random sampling grey, known methods from
/// a fixed table, others by a hash of the name.
pub fn color_for(name: &str) -> RGBColor {
    const TABLE: [(&str, RGBColor); 15] = [
        ("lc", RGBColor(31, 119, 180)),
        ("nte", RGBColor(255, 127, 14)),
        ("qbc", RGBColor(44, 160, 44)),
        ("bald", RGBColor(148, 103, 189)),
        ("seqmix-sub", RGBColor(214, 39, 40)),
        // The token-search variants of seqmix-sub, drawn beside it (seqmix-token-search).
        ("seqmix-sub-corpus", RGBColor(0, 128, 128)),
        ("seqmix-sub-cosine", RGBColor(188, 189, 34)),
        ("seqmix-whole", RGBColor(140, 86, 75)),
        ("seqmix-lc", RGBColor(227, 119, 194)),
        // LADA's methods: five hues far apart, since Fig. 3 draws Inter beside Semi-Inter.
        ("semi-inter", RGBColor(255, 127, 14)),
        ("semi-intra", RGBColor(148, 103, 189)),
        ("intra-inter", RGBColor(214, 39, 40)),
        ("inter", RGBColor(0, 150, 170)),
        ("intra", RGBColor(44, 160, 44)),
        ("base", RGBColor(80, 80, 80)),
    ];
    let lower = name.to_lowercase();
    if lower.contains("random") {
        return RGBColor(150, 150, 150);
    }
    let key = lower
        .trim_start_matches("conll-")
        .trim_start_matches("paper ");
    // The longest entry the name is or ends with: `seqmix-lc` is not `lc`, `semi-inter` not
    // `inter`.
    if let Some((_, c)) = TABLE
        .iter()
        .filter(|(k, _)| key == *k || key.ends_with(&format!("-{k}")))
        .max_by_key(|(k, _)| k.len())
    {
        return *c;
    }
    let h = name.bytes().fold(2166136261u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(16777619)
    });
    let c = Palette99::pick(h as usize % 99).to_rgba();
    readable_on_white(RGBColor(c.0, c.1, c.2))
}

/// The brightest luma (ITU-R BT.601, 0–255) a series colour may have: paler colours (some of
/// `Palette99`'s yellows and pastels) vanish on the white background.
const MAX_LUMA: f64 = 160.0;

fn luma(c: RGBColor) -> f64 {
    0.299 * f64::from(c.0) + 0.587 * f64::from(c.1) + 0.114 * f64::from(c.2)
}

/// `c` darkened, hue kept, until its luma is at most [`MAX_LUMA`].
fn readable_on_white(c: RGBColor) -> RGBColor {
    let l = luma(c);
    if l <= MAX_LUMA {
        return c;
    }
    let k = MAX_LUMA / l;
    // Channels scale down, so the products stay within 0..=255.
    let scale = |v: u8| (f64::from(v) * k).floor() as u8;
    RGBColor(scale(c.0), scale(c.1), scale(c.2))
}

/// The embedded font (DejaVu Sans) of every chart.
const SANS: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

pub(crate) fn register() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // A failure leaves text unavailable, which drawing then reports as an error.
        let _ = register_font("sans-serif", FontStyle::Normal, SANS).is_ok();
    });
}

pub(crate) fn chart_err(e: impl std::fmt::Display) -> Error {
    Error::Model(format!("chart: {e}"))
}

impl Chart {
    fn ranges(&self) -> ((f64, f64), (f64, f64)) {
        let pts = self.series.iter().flat_map(|s| s.points.iter());
        let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for &(x, m, s) in pts {
            x0 = x0.min(x);
            x1 = x1.max(x);
            y0 = y0.min(m - s);
            y1 = y1.max(m + s);
        }
        for &(_, y) in &self.hlines {
            y0 = y0.min(y);
            y1 = y1.max(y);
        }
        if x0 > x1 {
            return ((0.0, 1.0), (0.0, 1.0));
        }
        // A single x (one data-usage point) gets a window of ±10 % around it.
        let dx = if x1 - x0 < 1e-9 {
            (x0.abs() * 0.1).max(1.0)
        } else {
            (x1 - x0) * 0.05
        };
        // Padding: 8 % of the span, or of 2 % of the values' magnitude when the series are
        // (nearly) flat, so F1 in percent and losses near 0.05 both get a readable window.
        let magnitude = y0.abs().max(y1.abs());
        let dy = (y1 - y0).max(magnitude * 0.02).max(1e-9) * 0.08;
        // Values that cannot be negative (F1, losses) get no negative axis.
        let lo = if y0 >= 0.0 {
            (y0 - dy).max(0.0)
        } else {
            y0 - dy
        };
        ((x0 - dx, x1 + dx), (lo, y1 + dy))
    }

    /// Whether the legend goes to the upper right corner rather than the lower right: when the
    /// lines end low (falling losses), the lower right is where they are; when they end high
    /// (rising learning curves), it is free.
    /// `ranges` is the chart's window ([`Chart::ranges`]), computed once by the caller.
    fn legend_on_top(&self, ranges: ((f64, f64), (f64, f64))) -> bool {
        let ((x0, x1), (y0, y1)) = ranges;
        let right = x1 - (x1 - x0) / 3.0;
        let ends: Vec<f64> = self
            .series
            .iter()
            .flat_map(|s| s.points.iter())
            .filter(|p| p.0 >= right)
            .map(|p| p.1)
            .collect();
        !ends.is_empty() && ends.iter().sum::<f64>() / (ends.len() as f64) < (y0 + y1) / 2.0
    }

    /// Shows the chart inline in an evcxr notebook.
    pub fn evcxr_display(&self) {
        match self.svg() {
            Ok(svg) => {
                println!("EVCXR_BEGIN_CONTENT text/html\n<div>{svg}</div>\nEVCXR_END_CONTENT")
            }
            Err(e) => println!("{e}"),
        }
    }
}

/// A figure drawn by one function on any plotters backend, so that the SVG shown inline in a
/// notebook or an HTML report and the PNG beside it are the same drawing.
pub trait Figure {
    /// Width and height in pixels.
    fn size(&self) -> (u32, u32) {
        (WIDTH, HEIGHT)
    }

    /// Draws the figure.
    ///
    /// # Errors
    /// A drawing failure.
    fn draw<DB: DrawingBackend>(&self, root: DrawingArea<DB, plotters::coord::Shift>)
    -> Result<()>;

    /// The figure as an SVG document.
    ///
    /// # Errors
    /// A drawing failure.
    fn svg(&self) -> Result<String> {
        let mut out = String::new();
        {
            let root = SVGBackend::with_string(&mut out, self.size()).into_drawing_area();
            self.draw(root)?;
        }
        Ok(out)
    }

    /// Writes the figure as a PNG file (drawn into a temporary file beside it, then renamed
    /// into place).
    ///
    /// # Errors
    /// A drawing or file failure.
    fn write_png(&self, path: &Path) -> Result<()> {
        write_png_with(path, self.size(), |root| self.draw(root))
    }
}

/// Draws a PNG of `size` pixels with `draw` into a temporary file beside `path`, then
/// renames it into place.
///
/// # Errors
/// A drawing or file failure.
pub(crate) fn write_png_with(
    path: &Path,
    size: (u32, u32),
    draw: impl FnOnce(DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>) -> Result<()>,
) -> Result<()> {
    let tmp = path.with_extension(format!("tmp-{}.png", std::process::id()));
    {
        let root = BitMapBackend::new(&tmp, size).into_drawing_area();
        if let Err(e) = draw(root) {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    }
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}

/// `text` with every character that the embedded font lacks written as `U+XXXX`, and
/// whether any was. A PNG draws such a character as an empty box; an SVG leaves it to the
/// viewer's fonts, so only PNG text goes through this.
///
/// ```
/// use seqlab::report::charts::bitmap_text;
/// assert_eq!(bitmap_text("Ministers λ"), ("Ministers λ".to_string(), false));
/// assert_eq!(bitmap_text("ல ok"), ("U+0BB2 ok".to_string(), true));
/// ```
pub fn bitmap_text(text: &str) -> (String, bool) {
    use ab_glyph::Font as _;
    static FONT: std::sync::OnceLock<Option<ab_glyph::FontRef<'static>>> =
        std::sync::OnceLock::new();
    let font = FONT.get_or_init(|| ab_glyph::FontRef::try_from_slice(SANS).ok());
    let mut out = String::with_capacity(text.len());
    let mut replaced = false;
    for c in text.chars() {
        let has = c.is_whitespace() || font.as_ref().is_some_and(|f| f.glyph_id(c).0 != 0);
        if has {
            out.push(c);
        } else {
            replaced = true;
            out.push_str(&format!("U+{:04X}", u32::from(c)));
        }
    }
    (out, replaced)
}

impl Figure for Chart {
    fn draw<DB: DrawingBackend>(
        &self,
        root: DrawingArea<DB, plotters::coord::Shift>,
    ) -> Result<()> {
        register();
        root.fill(&WHITE).map_err(chart_err)?;
        let ((x0, x1), (y0, y1)) = self.ranges();
        let title_size = if self.title.chars().count() > 70 {
            13
        } else {
            18
        };
        let y_digits = if y1 - y0 < 0.8 {
            3
        } else if y1 - y0 < 8.0 {
            1
        } else {
            0
        };
        let mut chart = ChartBuilder::on(&root)
            .caption(&self.title, ("sans-serif", title_size))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(52)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(chart_err)?;
        chart
            .configure_mesh()
            .x_desc(self.x_label.as_str())
            .y_desc(self.y_label.as_str())
            .label_style(("sans-serif", 13))
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{y:.y_digits$}"))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(chart_err)?;
        for (name, y) in &self.hlines {
            let c = color_for(name);
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(x0, *y), (x1, *y)],
                    6,
                    4,
                    c.stroke_width(1),
                ))
                .map_err(chart_err)?
                .label(name.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c));
        }
        for s in &self.series {
            let color = color_for(&s.name);
            if !s.reference && s.points.len() > 1 {
                let mut band: Vec<(f64, f64)> =
                    s.points.iter().map(|&(x, m, sd)| (x, m + sd)).collect();
                band.extend(s.points.iter().rev().map(|&(x, m, sd)| (x, m - sd)));
                chart
                    .draw_series(std::iter::once(Polygon::new(band, color.mix(0.18))))
                    .map_err(chart_err)?;
            }
            let width = if s.reference { 1 } else { 2 };
            let line: Vec<(f64, f64)> = s.points.iter().map(|&(x, m, _)| (x, m)).collect();
            chart
                .draw_series(LineSeries::new(line.clone(), color.stroke_width(width)))
                .map_err(chart_err)?
                .label(s.name.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                });
            let style = if s.reference {
                color.stroke_width(2)
            } else {
                color.filled()
            };
            chart
                .draw_series(line.iter().map(|&p| Circle::new(p, 4, style)))
                .map_err(chart_err)?;
        }
        chart
            .configure_series_labels()
            .position(if self.legend_on_top(((x0, x1), (y0, y1))) {
                SeriesLabelPosition::UpperRight
            } else {
                SeriesLabelPosition::LowerRight
            })
            .label_font(("sans-serif", 13))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .draw()
            .map_err(chart_err)?;
        root.present().map_err(chart_err)
    }
}

#[cfg(test)]
mod tests {
    use super::{Chart, Series, color_for};

    fn chart_of(points: Vec<(f64, f64, f64)>) -> Chart {
        Chart {
            title: String::new(),
            x_label: String::new(),
            y_label: String::new(),
            series: vec![Series::new("a", points)],
            hlines: Vec::new(),
        }
    }

    #[test]
    fn the_y_window_fits_losses_and_f1_alike() {
        // Dev losses near 0.06: a tight window that stays above 0.
        let loss = chart_of(vec![
            (1.0, 0.0957, 0.0),
            (2.0, 0.0557, 0.0),
            (3.0, 0.0869, 0.0),
        ]);
        let (_, (lo, hi)) = loss.ranges();
        assert!((0.05..0.0557).contains(&lo), "{lo}");
        assert!((0.0957..0.1).contains(&hi) && hi > 0.0957, "{hi}");
        // F1 in percent with a ±1 std band: the band is inside, padded by 8 % of the span.
        let f1 = chart_of(vec![(700.0, 73.0, 0.5), (1400.0, 81.0, 0.5)]);
        let (_, (lo, hi)) = f1.ranges();
        assert!((lo - (72.5 - 0.72)).abs() < 1e-9, "{lo}");
        assert!((hi - (81.5 + 0.72)).abs() < 1e-9, "{hi}");
        // One flat point still gets a window around it; a value at 0 gets no negative axis.
        let (_, (lo, hi)) = chart_of(vec![(1.0, 90.0, 0.0)]).ranges();
        assert!(lo < 90.0 && hi > 90.0);
        let (_, (lo, _)) = chart_of(vec![(1.0, 0.0, 0.0), (2.0, 1.0, 0.0)]).ranges();
        assert_eq!(lo, 0.0);
    }

    #[test]
    fn the_legend_leaves_the_lines_ends_free() {
        // A falling dev loss ends low: the legend goes up.
        let loss: Vec<(f64, f64, f64)> = (1..=20)
            .map(|e| (f64::from(e), if e == 1 { 0.6 } else { 0.17 }, 0.01))
            .collect();
        let loss = chart_of(loss);
        assert!(loss.legend_on_top(loss.ranges()));
        // A rising learning curve ends high: the legend stays down.
        let curve = vec![(200.0, 60.0, 1.0), (400.0, 75.0, 1.0), (600.0, 80.0, 1.0)];
        let curve = chart_of(curve);
        assert!(!curve.legend_on_top(curve.ranges()));
    }

    #[test]
    fn the_methods_drawn_together_have_distinct_colours() {
        // The series of the SeqMix figures (fig2, fig3, token search) and of LADA's Table 3.
        let figures: [&[&str]; 3] = [
            &[
                "conll-nte",
                "seqmix-sub",
                "seqmix-sub-corpus",
                "seqmix-sub-cosine",
                "seqmix-whole",
                "seqmix-lc",
                "conll-lc",
                "conll-qbc",
            ],
            &[
                "base",
                "intra",
                "inter",
                "intra-inter",
                "semi-intra",
                "semi-inter",
            ],
            &["random", "lc", "nte", "qbc", "bald"],
        ];
        // Euclidean distance in RGB: below ~60 two thin lines are hard to tell apart.
        let dist = |a: &str, b: &str| {
            let (x, y) = (color_for(a), color_for(b));
            let d = |p: u8, q: u8| (f64::from(p) - f64::from(q)).powi(2);
            (d(x.0, y.0) + d(x.1, y.1) + d(x.2, y.2)).sqrt()
        };
        for names in figures {
            for (i, a) in names.iter().enumerate() {
                for b in &names[i + 1..] {
                    assert!(dist(a, b) >= 60.0, "{a} and {b}: colours too close");
                }
            }
        }
        // LADA Fig. 3 draws the Inter and Semi-Inter loss curves on top of each other.
        assert!(dist("lada-conll-5-inter", "lada-conll-5-semi-inter") >= 150.0);
        assert_eq!(color_for("conll-random"), color_for("wnut-random"));
        assert_eq!(color_for("paper seqmix-sub"), color_for("seqmix-sub"));
    }

    #[test]
    fn hashed_colours_are_dark_enough_to_read_on_white() {
        // seqmix-disc-1000 hashed to a pale yellow (luma 224) before colours were darkened.
        assert!(
            super::luma(super::readable_on_white(plotters::style::RGBColor(
                255, 255, 224
            ))) <= super::MAX_LUMA
        );
        let mut seen = std::collections::HashSet::new();
        for i in 0..500 {
            let c = color_for(&format!("study-{i}"));
            assert!(super::luma(c) <= super::MAX_LUMA, "study-{i}: {c:?}");
            seen.insert((c.0, c.1, c.2));
        }
        // Darkening keeps the hues apart: Palette99 cycles through about 22 distinct colours,
        // and nearly all of them stay distinct.
        assert!(
            seen.len() >= 20,
            "{} distinct colours: {seen:?}",
            seen.len()
        );
        let dark = plotters::style::RGBColor(31, 119, 180);
        assert_eq!(super::readable_on_white(dark), dark);
    }
}
