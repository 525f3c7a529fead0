//! Constant-velocity Kalman filter on a box's centre and size (cx, cy, w, h), driven by
//! elapsed seconds rather than frame counts because analysis rates vary.
//!
//! The usual SORT/ByteTrack formulation is one 8-state filter with block-diagonal noise and a
//! measurement matrix that picks the four positions. With that structure the covariance never
//! couples different axes, so the 8-state filter is exactly four independent 2-state filters
//! (position, velocity). Running them separately gives identical estimates with 2x2 algebra,
//! no matrices and no allocation.
//!
//! Noise scales with the face height, as in SORT/ByteTrack: a 40 px face and a 400 px face are
//! equally hard to localise relative to their size.

/// Measurement standard deviation as a fraction of face height (YuNet box jitter).
const MEAS_STD: f32 = 0.05;
/// Initial position standard deviation, fraction of height.
const INIT_POS_STD: f32 = 0.1;
/// Initial velocity standard deviation, face heights per second: a walking person's face
/// crosses about one height per second at typical distances, so this is wide.
const INIT_VEL_STD: f32 = 2.0;
/// White-noise acceleration density, face heights per second squared: people change pace
/// and turn, but not violently within a fraction of a second.
const ACCEL_STD: f32 = 1.0;

/// One axis: position, velocity and their 2x2 covariance [[pp, pv], [pv, vv]].
#[derive(Debug, Clone, Copy)]
struct Axis {
    pos: f32,
    vel: f32,
    pp: f32,
    pv: f32,
    vv: f32,
}

impl Axis {
    fn new(pos: f32, scale: f32) -> Self {
        let sp = INIT_POS_STD * scale;
        let sv = INIT_VEL_STD * scale;
        Self {
            pos,
            vel: 0.0,
            pp: sp * sp,
            pv: 0.0,
            vv: sv * sv,
        }
    }

    /// x <- F x, P <- F P F^T + Q with F = [[1, dt], [0, 1]] and the continuous white-noise
    /// acceleration Q = q [[dt^3/3, dt^2/2], [dt^2/2, dt]].
    fn predict(&mut self, dt: f32, q: f32) {
        self.pos += self.vel * dt;
        let (dt2, dt3) = (dt * dt, dt * dt * dt);
        self.pp += 2.0 * dt * self.pv + dt2 * self.vv + q * dt3 / 3.0;
        self.pv += dt * self.vv + q * dt2 / 2.0;
        self.vv += q * dt;
    }

    /// Standard update with H = [1, 0] and measurement variance r.
    fn update(&mut self, z: f32, r: f32) {
        let s = self.pp + r;
        let (k0, k1) = (self.pp / s, self.pv / s);
        let y = z - self.pos;
        self.pos += k0 * y;
        self.vel += k1 * y;
        let (pp, pv) = (self.pp, self.pv);
        self.pp = (1.0 - k0) * pp;
        self.pv = (1.0 - k0) * pv;
        self.vv -= k1 * pv;
    }
}

/// The filter of one track: cx, cy, w, h.
#[derive(Debug, Clone, Copy)]
pub struct BoxFilter {
    axes: [Axis; 4],
}

impl BoxFilter {
    pub fn new(cx: f32, cy: f32, w: f32, h: f32) -> Self {
        let s = h.max(1.0);
        Self {
            axes: [
                Axis::new(cx, s),
                Axis::new(cy, s),
                Axis::new(w, s),
                Axis::new(h, s),
            ],
        }
    }

    fn scale(&self) -> f32 {
        self.axes[3].pos.max(1.0)
    }

    /// Advance the state by `dt` seconds (0 is a no-op).
    pub fn predict(&mut self, dt: f32) {
        if dt <= 0.0 {
            return;
        }
        let a = ACCEL_STD * self.scale();
        let q = a * a;
        for axis in &mut self.axes {
            axis.predict(dt, q);
        }
    }

    /// Fold in a measured centre and size.
    pub fn update(&mut self, cx: f32, cy: f32, w: f32, h: f32) {
        let m = MEAS_STD * self.scale();
        let r = m * m;
        for (axis, z) in self.axes.iter_mut().zip([cx, cy, w, h]) {
            axis.update(z, r);
        }
    }

    /// Current (cx, cy, w, h).
    pub fn state(&self) -> [f32; 4] {
        [
            self.axes[0].pos,
            self.axes[1].pos,
            self.axes[2].pos,
            self.axes[3].pos,
        ]
    }

    /// Current (vx, vy, vw, vh) in pixels per second.
    pub fn velocity(&self) -> [f32; 4] {
        [
            self.axes[0].vel,
            self.axes[1].vel,
            self.axes[2].vel,
            self.axes[3].vel,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_a_constant_velocity_and_predicts_through_a_gap() {
        let mut f = BoxFilter::new(100.0, 100.0, 50.0, 60.0);
        // 100 px/s to the right, 10 Hz.
        for i in 1..=20 {
            f.predict(0.1);
            f.update(100.0 + 10.0 * i as f32, 100.0, 50.0, 60.0);
        }
        let v = f.velocity();
        assert!((v[0] - 100.0).abs() < 5.0, "vx = {}", v[0]);
        f.predict(0.5);
        let s = f.state();
        assert!((s[0] - 350.0).abs() < 5.0, "cx after gap = {}", s[0]);
        assert!((s[1] - 100.0).abs() < 1.0);
    }

    #[test]
    fn covariance_stays_positive() {
        let mut f = BoxFilter::new(0.0, 0.0, 20.0, 20.0);
        for i in 0..1000 {
            f.predict(if i % 7 == 0 { 0.0 } else { 0.04 });
            f.update(i as f32, 0.0, 20.0, 20.0);
        }
        for a in f.axes {
            assert!(a.pp > 0.0 && a.vv > 0.0 && a.pp * a.vv >= a.pv * a.pv * 0.999);
        }
    }
}
