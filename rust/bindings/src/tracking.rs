//! Bindings for `lfr-tracking` (the per-camera tracker).
//!
//! Inputs are read as zero-copy numpy views when they are C-contiguous float32 (anything
//! else array-like is converted once); outputs are numpy arrays the core writes into with the
//! GIL released. Every bad input is a `ValueError` raised before the tracker changes.

use std::borrow::Cow;

use lfr_tracking::{
    AlertEvent as CoreEvent, Detections, TrackError, Tracker as CoreTracker, TrackerConfig,
};
use numpy::{AllowTypeChange, PyArray1, PyArrayLikeDyn, PyArrayMethods, PyUntypedArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

type FloatArray<'py> = PyArrayLikeDyn<'py, f32, AllowTypeChange>;
/// `update`'s result: track id per detection (-1 = none) and whether to embed it now.
type UpdateOutput<'py> = (Bound<'py, PyArray1<i64>>, Bound<'py, PyArray1<bool>>);

fn value_error(e: TrackError) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// The array's values in row-major order: borrowed when contiguous, copied otherwise.
fn values<'a>(a: &'a FloatArray<'_>) -> Cow<'a, [f32]> {
    match a.as_slice() {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(a.as_array().iter().copied().collect()),
    }
}

/// Checks that `a` has `shape`, where `None` accepts any length on that axis.
fn check_shape(name: &str, a: &FloatArray<'_>, shape: &[Option<usize>]) -> PyResult<()> {
    let got = a.shape();
    let ok = got.len() == shape.len()
        && got
            .iter()
            .zip(shape)
            .all(|(g, s)| s.is_none_or(|s| s == *g));
    if ok {
        return Ok(());
    }
    let want: Vec<String> = shape
        .iter()
        .map(|s| s.map_or("n".to_owned(), |v| v.to_string()))
        .collect();
    Err(PyValueError::new_err(format!(
        "{name}: expected shape ({}), got {got:?}",
        want.join(", ")
    )))
}

/// One camera's face tracker: associates detections with tracks, says which faces to embed
/// and turns watchlist matches into deduplicated alerts.
#[pyclass(module = "lfr._native", name = "Tracker")]
pub struct PyTracker {
    inner: CoreTracker,
}

#[pymethods]
impl PyTracker {
    #[new]
    #[pyo3(signature = (
        *,
        match_threshold = 0.363,
        min_hits = 2,
        cooldown_s = 30.0,
        n_init = 2,
        max_age_s = 1.0,
        high_score = 0.6,
        low_score = 0.3,
        iou_threshold = 0.3,
        reembed_interval_s = 2.0,
        growth_ratio = 1.3,
        probe_interval_s = 0.5,
        score_gain = 0.1,
        appearance_gate = 0.25,
        update_margin = 0.05,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        match_threshold: f32,
        min_hits: u32,
        cooldown_s: f64,
        n_init: u32,
        max_age_s: f64,
        high_score: f32,
        low_score: f32,
        iou_threshold: f32,
        reembed_interval_s: f64,
        growth_ratio: f32,
        probe_interval_s: f64,
        score_gain: f32,
        appearance_gate: f32,
        update_margin: f32,
    ) -> PyResult<Self> {
        let cfg = TrackerConfig {
            match_threshold,
            min_hits,
            cooldown_s,
            n_init,
            max_age_s,
            high_score,
            low_score,
            iou_threshold,
            reembed_interval_s,
            growth_ratio,
            probe_interval_s,
            score_gain,
            appearance_gate,
            update_margin,
        };
        Ok(Self {
            inner: CoreTracker::new(cfg).map_err(value_error)?,
        })
    }

    /// Associates one frame's detections; returns (track_ids int64[n], need_embed bool[n]).
    #[pyo3(signature = (ts, boxes, scores, landmarks, templates = None))]
    fn update<'py>(
        &mut self,
        py: Python<'py>,
        ts: f64,
        boxes: FloatArray<'py>,
        scores: FloatArray<'py>,
        landmarks: FloatArray<'py>,
        templates: Option<FloatArray<'py>>,
    ) -> PyResult<UpdateOutput<'py>> {
        check_shape("scores", &scores, &[None])?;
        let n = scores.shape()[0];
        check_shape("boxes", &boxes, &[Some(n), Some(4)])?;
        if landmarks.ndim() == 3 {
            check_shape("landmarks", &landmarks, &[Some(n), Some(5), Some(2)])?;
        } else {
            check_shape("landmarks", &landmarks, &[Some(n), Some(10)])?;
        }
        if let Some(t) = &templates {
            check_shape("templates", t, &[Some(n), None])?;
        }
        let ids = PyArray1::<i64>::zeros(py, n, false);
        let embed = PyArray1::<bool>::zeros(py, n, false);
        {
            let (b, s, l) = (values(&boxes), values(&scores), values(&landmarks));
            let t = templates.as_ref().map(values);
            let mut ids_rw = ids.readwrite();
            let mut embed_rw = embed.readwrite();
            let out_ids = ids_rw.as_slice_mut().expect("fresh array is contiguous");
            let out_embed = embed_rw.as_slice_mut().expect("fresh array is contiguous");
            let dets = Detections {
                boxes: &b,
                scores: &s,
                landmarks: &l,
                templates: t.as_deref(),
            };
            let inner = &mut self.inner;
            py.detach(|| inner.update(ts, dets, out_ids, out_embed))
                .map_err(value_error)?;
        }
        Ok((ids, embed))
    }

    /// Reports one template's best watchlist matches for a track; returns the alerts raised.
    fn observe(
        &mut self,
        py: Python<'_>,
        track_id: i64,
        ts: f64,
        template: FloatArray<'_>,
        ids: Vec<String>,
        scores: FloatArray<'_>,
    ) -> PyResult<Vec<PyAlertEvent>> {
        check_shape("template", &template, &[None])?;
        check_shape("scores", &scores, &[None])?;
        let (t, s) = (values(&template), values(&scores));
        let inner = &mut self.inner;
        let mut out = Vec::new();
        py.detach(|| inner.observe(track_id, ts, &t, &ids, &s, &mut out))
            .map_err(value_error)?;
        Ok(out.into_iter().map(PyAlertEvent::from).collect())
    }

    /// Born tracks alive now.
    fn active_tracks(&self) -> usize {
        self.inner.active_tracks()
    }

    /// Counters since creation (updates, detections, embeds_requested, tracks_started, ...).
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (k, v) in self.inner.stats().pairs() {
            d.set_item(k, v)?;
        }
        d.set_item("active_tracks", self.inner.active_tracks())?;
        Ok(d)
    }

    /// The parameters in effect, by constructor keyword.
    fn config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let c = self.inner.config();
        let d = PyDict::new(py);
        d.set_item("match_threshold", c.match_threshold)?;
        d.set_item("min_hits", c.min_hits)?;
        d.set_item("cooldown_s", c.cooldown_s)?;
        d.set_item("n_init", c.n_init)?;
        d.set_item("max_age_s", c.max_age_s)?;
        d.set_item("high_score", c.high_score)?;
        d.set_item("low_score", c.low_score)?;
        d.set_item("iou_threshold", c.iou_threshold)?;
        d.set_item("reembed_interval_s", c.reembed_interval_s)?;
        d.set_item("growth_ratio", c.growth_ratio)?;
        d.set_item("probe_interval_s", c.probe_interval_s)?;
        d.set_item("score_gain", c.score_gain)?;
        d.set_item("appearance_gate", c.appearance_gate)?;
        d.set_item("update_margin", c.update_margin)?;
        Ok(d)
    }
}

/// An alert decision for one (track, identity): "alert" once, "alert_update" for a better
/// match later on the same track.
#[pyclass(module = "lfr._native", name = "AlertEvent", frozen)]
pub struct PyAlertEvent {
    #[pyo3(get)]
    kind: &'static str,
    #[pyo3(get)]
    track_id: i64,
    #[pyo3(get)]
    identity: String,
    #[pyo3(get)]
    score: f64,
    #[pyo3(get)]
    hits: u32,
    #[pyo3(get)]
    ts: f64,
}

impl From<CoreEvent> for PyAlertEvent {
    fn from(e: CoreEvent) -> Self {
        Self {
            kind: e.kind.as_str(),
            track_id: e.track_id as i64,
            identity: e.identity,
            score: f64::from(e.score),
            hits: e.hits,
            ts: e.ts,
        }
    }
}

#[pymethods]
impl PyAlertEvent {
    fn __repr__(&self) -> String {
        format!(
            "AlertEvent(kind={:?}, track_id={}, identity={:?}, score={:.4}, hits={}, ts={})",
            self.kind, self.track_id, self.identity, self.score, self.hits, self.ts
        )
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyTracker>()?;
    m.add_class::<PyAlertEvent>()?;
    Ok(())
}
