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

fn box_reduce_c<const C: usize>(img: &ImageRef<'_>, k: usize) -> (Vec<f32>, usize, usize) {
    let (rh, rw) = (img.height / k, img.width / k);
    let row_len = img.width * C;
    let used = rw * k * C;
    let mut acc = vec![0u32; used];
    let mut out = vec![0f32; rh * rw * C];
    let norm = 1.0 / (k * k) as f32;
    for r in 0..rh {
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
    if k >= 2 {
        let (reduced, rh, rw) = box_reduce(img, k);
        if (rh, rw) == (dst_h, dst_w) {
            copy_planar(&reduced, rh, rw, c, pad_w, plane, out);
        } else {
            bilinear_planar(&reduced, rh, rw, c, dst_h, dst_w, pad_w, plane, out);
        }
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
