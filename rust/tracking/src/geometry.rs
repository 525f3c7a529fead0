//! Boxes and their overlap. Detections arrive as corners (x1, y1, x2, y2); the motion model
//! works on centre and size, which move independently and smoothly.

/// Beyond any real sensor; keeps every derived area and filter variance finite.
const MAX_COORD: f32 = 1.0e6;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BBox {
    pub x1: f32,
    pub y1: f32,
    pub x2: f32,
    pub y2: f32,
}

impl BBox {
    pub fn from_corners(c: [f32; 4]) -> Self {
        Self {
            x1: c[0],
            y1: c[1],
            x2: c[2],
            y2: c[3],
        }
    }

    /// Box from centre and size; sizes are floored at one pixel so a shrinking prediction
    /// never turns into a negative box.
    pub fn from_center(cx: f32, cy: f32, w: f32, h: f32) -> Self {
        let (hw, hh) = (w.max(1.0) * 0.5, h.max(1.0) * 0.5);
        Self {
            x1: cx - hw,
            y1: cy - hh,
            x2: cx + hw,
            y2: cy + hh,
        }
    }

    pub fn width(&self) -> f32 {
        self.x2 - self.x1
    }

    pub fn height(&self) -> f32 {
        self.y2 - self.y1
    }

    pub fn area(&self) -> f32 {
        self.width() * self.height()
    }

    pub fn center(&self) -> (f32, f32) {
        ((self.x1 + self.x2) * 0.5, (self.y1 + self.y2) * 0.5)
    }

    /// Why this box cannot be tracked, if it cannot.
    pub fn invalid_reason(&self) -> Option<&'static str> {
        if !(self.x1.is_finite()
            && self.y1.is_finite()
            && self.x2.is_finite()
            && self.y2.is_finite())
        {
            Some("coordinates must be finite")
        } else if [self.x1, self.y1, self.x2, self.y2]
            .iter()
            .any(|v| v.abs() > MAX_COORD)
        {
            Some("coordinates must be within +-1e6 pixels")
        } else if self.x2 <= self.x1 || self.y2 <= self.y1 {
            Some("x2 > x1 and y2 > y1 required (negative or zero size)")
        } else {
            None
        }
    }

    pub fn iou(&self, other: &BBox) -> f32 {
        let iw = self.x2.min(other.x2) - self.x1.max(other.x1);
        if iw <= 0.0 {
            return 0.0;
        }
        let ih = self.y2.min(other.y2) - self.y1.max(other.y1);
        if ih <= 0.0 {
            return 0.0;
        }
        let inter = iw * ih;
        inter / (self.area() + other.area() - inter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iou_of_identical_disjoint_and_half_overlapping_boxes() {
        let a = BBox::from_corners([0.0, 0.0, 10.0, 10.0]);
        assert_eq!(a.iou(&a), 1.0);
        assert_eq!(a.iou(&BBox::from_corners([20.0, 0.0, 30.0, 10.0])), 0.0);
        let half = a.iou(&BBox::from_corners([5.0, 0.0, 15.0, 10.0]));
        assert!((half - 1.0 / 3.0).abs() < 1e-6);
    }

    #[test]
    fn invalid_boxes_are_named() {
        assert!(BBox::from_corners([0.0, 0.0, -1.0, 5.0])
            .invalid_reason()
            .is_some());
        assert!(BBox::from_corners([0.0, f32::NAN, 1.0, 5.0])
            .invalid_reason()
            .is_some());
        assert!(BBox::from_corners([0.0, 0.0, 1.0, 5.0])
            .invalid_reason()
            .is_none());
    }
}
