//! Frame -> detector blob: box filter by the integer factor, then bilinear, planar float out.

use crate::{err, ImageRef, ImagingError};

/// Mean over `k x k` blocks; trailing rows/columns that do not fill a block are dropped.
/// Rows are summed first (a straight, vectorisable u8 -> u32 add), then k columns per pixel.
fn box_reduce(img: &ImageRef<'_>, k: usize) -> (Vec<f32>, usize, usize) {
    match img.channels {
        1 => box_reduce_c::<1>(img, k),
        2 => box_reduce_c::<2>(img, k),
        3 => box_reduce_c::<3>(img, k),
        _ => box_reduce_c::<4>(img, k),
    }
}

/// Sums the `k` rows of output row `r`'s blocks into `acc` (one u32 per input value).
#[inline]
fn sum_rows(img: &ImageRef<'_>, k: usize, r: usize, acc: &mut [u32]) {
    let row_len = img.width * img.channels;
    let used = acc.len();
    let first = &img.data[r * k * row_len..][..used];
    for (a, &v) in acc.iter_mut().zip(first) {
        *a = u32::from(v);
    }
    for i in 1..k {
        let row = &img.data[(r * k + i) * row_len..][..used];
        for (a, &v) in acc.iter_mut().zip(row) {
            *a += u32::from(v);
        }
    }
}

fn box_reduce_c<const C: usize>(img: &ImageRef<'_>, k: usize) -> (Vec<f32>, usize, usize) {
    let (rh, rw) = (img.height / k, img.width / k);
    let mut acc = vec![0u32; rw * k * C];
    let mut out = vec![0f32; rh * rw * C];
    let norm = 1.0 / (k * k) as f32;
    for r in 0..rh {
        sum_rows(img, k, r, &mut acc);
        let dst = &mut out[r * rw * C..][..rw * C];
        for (px, block) in dst.chunks_exact_mut(C).zip(acc.chunks_exact(k * C)) {
            let mut s = [0u32; C];
            for tap in block.chunks_exact(C) {
                for ch in 0..C {
                    s[ch] += tap[ch];
                }
            }
            for ch in 0..C {
                px[ch] = s[ch] as f32 * norm;
            }
        }
    }
    (out, rh, rw)
}

/// The box filter written straight into the planar blob, for a target that is exactly the
/// block-reduced size (the usual case: 1280 or 1920 wide to 640): no intermediate image and
/// no second, strided pass to split the channels. Each plane's row is written contiguously;
/// for `k = 2` (720p) and `k = 3` (1080p) the column taps are summed without an inner loop.
fn box_reduce_planar<const C: usize>(
    img: &ImageRef<'_>,
    k: usize,
    (dst_h, dst_w): (usize, usize),
    pad_w: usize,
    plane: usize,
    out: &mut [f32],
) {
    let mut acc = vec![0u32; dst_w * k * C];
    let norm = 1.0 / (k * k) as f32;
    for r in 0..dst_h {
        sum_rows(img, k, r, &mut acc);
        for ch in 0..C {
            let dst = &mut out[ch * plane + r * pad_w..][..dst_w];
            match k {
                2 => {
                    for (d, b) in dst.iter_mut().zip(acc.chunks_exact(2 * C)) {
                        *d = (b[ch] + b[C + ch]) as f32 * norm;
                    }
                }
                3 => {
                    for (d, b) in dst.iter_mut().zip(acc.chunks_exact(3 * C)) {
                        *d = (b[ch] + b[C + ch] + b[2 * C + ch]) as f32 * norm;
                    }
                }
                _ => {
                    for (d, b) in dst.iter_mut().zip(acc.chunks_exact(k * C)) {
                        *d = (0..k).map(|t| b[t * C + ch]).sum::<u32>() as f32 * norm;
                    }
                }
            }
        }
    }
}

fn box_planar(
    img: &ImageRef<'_>,
    k: usize,
    dst: (usize, usize),
    pad_w: usize,
    plane: usize,
    out: &mut [f32],
) {
    match img.channels {
        1 => box_reduce_planar::<1>(img, k, dst, pad_w, plane, out),
        2 => box_reduce_planar::<2>(img, k, dst, pad_w, plane, out),
        3 => box_reduce_planar::<3>(img, k, dst, pad_w, plane, out),
        _ => box_reduce_planar::<4>(img, k, dst, pad_w, plane, out),
    }
}

/// Interleaved `[h, w, c]` -> planar `[c, pad_h, pad_w]` (top-left), no resampling.
fn copy_planar<T: Px>(
    src: &[T],
    h: usize,
    w: usize,
    c: usize,
    pad_w: usize,
    plane: usize,
    out: &mut [f32],
) {
    for y in 0..h {
        let row = &src[y * w * c..][..w * c];
        for ch in 0..c {
            let dst = &mut out[ch * plane + y * pad_w..][..w];
            for (x, d) in dst.iter_mut().enumerate() {
                *d = row[x * c + ch].f();
            }
        }
    }
}

/// Half-pixel-centred linear taps: (i0, i1, weight of i1) per output index.
fn taps(n_in: usize, n_out: usize) -> Vec<(usize, usize, f32)> {
    let scale = n_in as f32 / n_out as f32;
    (0..n_out)
        .map(|o| {
            let pos = ((o as f32 + 0.5) * scale - 0.5).clamp(0.0, (n_in - 1) as f32);
            let i0 = pos.floor() as usize;
            (i0, (i0 + 1).min(n_in - 1), pos - i0 as f32)
        })
        .collect()
}

trait Px: Copy {
    fn f(self) -> f32;
}
impl Px for u8 {
    #[inline(always)]
    fn f(self) -> f32 {
        f32::from(self)
    }
}
impl Px for f32 {
    #[inline(always)]
    fn f(self) -> f32 {
        self
    }
}

#[allow(clippy::too_many_arguments)]
fn bilinear_planar<T: Px>(
    src: &[T],
    h: usize,
    w: usize,
    c: usize,
    dst_h: usize,
    dst_w: usize,
    pad_w: usize,
    plane: usize,
    out: &mut [f32],
) {
    let xs = taps(w, dst_w);
    for (y, &(y0, y1, wy)) in taps(h, dst_h).iter().enumerate() {
        let top = &src[y0 * w * c..][..w * c];
        let bot = &src[y1 * w * c..][..w * c];
        for (x, &(x0, x1, wx)) in xs.iter().enumerate() {
            for ch in 0..c {
                let a = top[x0 * c + ch].f();
                let b = top[x1 * c + ch].f();
                let d = bot[x0 * c + ch].f();
                let e = bot[x1 * c + ch].f();
                let t = a + (b - a) * wx;
                let u = d + (e - d) * wx;
                out[ch * plane + y * pad_w + x] = t + (u - t) * wy;
            }
        }
    }
}

/// Resize `img` to `dst_h x dst_w` into `out`, a planar `[channels, pad_h, pad_w]` float
/// buffer (values 0..255, channel order kept). Only the top-left `dst_h x dst_w` of each plane
/// is written, so a zeroed `out` gives bottom/right zero padding.
pub fn resize_into_planar(
    img: &ImageRef<'_>,
    dst_h: usize,
    dst_w: usize,
    pad_h: usize,
    pad_w: usize,
    out: &mut [f32],
) -> Result<(), ImagingError> {
    if dst_h == 0 || dst_w == 0 || dst_h > pad_h || dst_w > pad_w {
        return err(format!(
            "target {dst_h}x{dst_w} must be non-empty and fit the padded {pad_h}x{pad_w}"
        ));
    }
    let plane = pad_h * pad_w;
    if out.len() != img.channels * plane {
        return err(format!(
            "output holds {} floats, {}x{pad_h}x{pad_w} needs {}",
            out.len(),
            img.channels,
            img.channels * plane
        ));
    }
    let c = img.channels;
    let k = (img.height / dst_h).min(img.width / dst_w).max(1);
    if k >= 2 && (img.height / k, img.width / k) == (dst_h, dst_w) {
        box_planar(img, k, (dst_h, dst_w), pad_w, plane, out);
    } else if k >= 2 {
        let (reduced, rh, rw) = box_reduce(img, k);
        bilinear_planar(&reduced, rh, rw, c, dst_h, dst_w, pad_w, plane, out);
    } else if (img.height, img.width) == (dst_h, dst_w) {
        copy_planar(img.data, dst_h, dst_w, c, pad_w, plane, out);
    } else {
        bilinear_planar(
            img.data, img.height, img.width, c, dst_h, dst_w, pad_w, plane, out,
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp(h: usize, w: usize, c: usize) -> Vec<u8> {
        (0..h * w * c).map(|i| (i * 7 % 251) as u8).collect()
    }

    #[test]
    fn identity_resize_copies_into_planes() {
        let data = ramp(4, 5, 3);
        let img = ImageRef::new(&data, 4, 5, 3).unwrap();
        let mut out = vec![0f32; 3 * 8 * 8];
        resize_into_planar(&img, 4, 5, 8, 8, &mut out).unwrap();
        for y in 0..4 {
            for x in 0..5 {
                for ch in 0..3 {
                    assert_eq!(
                        out[ch * 64 + y * 8 + x],
                        f32::from(data[(y * 5 + x) * 3 + ch])
                    );
                }
            }
        }
        assert!(out[5..8].iter().all(|&v| v == 0.0), "padding stays zero");
    }

    #[test]
    fn integer_downscale_is_a_block_mean() {
        let data: Vec<u8> = vec![
            0, 10, 20, 30, 40, 50, 60, 70, 80, 100, 110, 120, 130, 140, 150, 160,
        ];
        let img = ImageRef::new(&data, 4, 4, 1).unwrap();
        let mut out = vec![0f32; 4];
        resize_into_planar(&img, 2, 2, 2, 2, &mut out).unwrap();
        assert_eq!(out, vec![25.0, 45.0, 112.5, 135.0]); // (80 + 100 + 130 + 140) / 4 = 112.5
    }

    #[test]
    fn box_into_planes_equals_box_then_split() {
        // The fused path against the two-step one it replaces, for every channel count and
        // the factors with and without a dedicated loop, with padding around the target.
        for c in 1..=4 {
            for k in 2..=5 {
                let (h, w) = (7 * k + k - 1, 9 * k + 1); // leftover rows/columns are dropped
                let data = ramp(h, w, c);
                let img = ImageRef::new(&data, h, w, c).unwrap();
                let (pad_h, pad_w) = (8, 12);
                let mut fused = vec![-1f32; c * pad_h * pad_w];
                resize_into_planar(&img, 7, 9, pad_h, pad_w, &mut fused).unwrap();
                let (reduced, rh, rw) = box_reduce(&img, k);
                let mut split = vec![-1f32; c * pad_h * pad_w];
                copy_planar(&reduced, rh, rw, c, pad_w, pad_h * pad_w, &mut split);
                assert_eq!(fused, split, "c={c} k={k}");
            }
        }
    }

    #[test]
    fn constant_image_stays_constant_at_any_scale() {
        let data = vec![77u8; 37 * 53 * 3];
        let img = ImageRef::new(&data, 37, 53, 3).unwrap();
        for (h, w) in [(10, 14), (37, 53), (60, 90), (5, 7)] {
            let mut out = vec![0f32; 3 * h * w];
            resize_into_planar(&img, h, w, h, w, &mut out).unwrap();
            assert!(out.iter().all(|&v| (v - 77.0).abs() < 1e-4), "{h}x{w}");
        }
    }
}
