//! `lfr-imaging`: the two per-frame pixel loops of face inference, in plain Rust.
//!
//! * [`resize_into_planar`]: a BGR frame shrunk (box filter by the integer part of the factor,
//!   then bilinear for the rest) straight into the detector's zero-padded planar float blob.
//! * [`warp_affine`]: bilinear affine warps of one frame into many small crops (the 112x112
//!   aligned faces), with a black border, matching OpenCV's `warpAffine(INTER_LINEAR)`.
//!
//! Both are single-threaded on purpose: callers already run one per worker thread, and the
//! frames are small enough that spawning would cost more than it saves.

use std::fmt;

/// A borrowed, C-contiguous `height x width x channels` u8 image.
#[derive(Clone, Copy, Debug)]
pub struct ImageRef<'a> {
    pub data: &'a [u8],
    pub height: usize,
    pub width: usize,
    pub channels: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImagingError(pub String);

impl fmt::Display for ImagingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ImagingError {}

fn err<T>(msg: String) -> Result<T, ImagingError> {
    Err(ImagingError(msg))
}

impl<'a> ImageRef<'a> {
    pub fn new(data: &'a [u8], height: usize, width: usize, channels: usize) -> Result<Self, ImagingError> {
        if height == 0 || width == 0 || !(1..=4).contains(&channels) {
            return err(format!("image must be non-empty with 1..4 channels, got {height}x{width}x{channels}"));
        }
        if data.len() != height * width * channels {
            return err(format!("image buffer holds {} bytes, {height}x{width}x{channels} needs {}", data.len(), height * width * channels));
        }
        Ok(Self { data, height, width, channels })
    }
}

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
fn copy_planar<T: Px>(src: &[T], h: usize, w: usize, c: usize, pad_w: usize, plane: usize, out: &mut [f32]) {
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
fn bilinear_planar<T: Px>(src: &[T], h: usize, w: usize, c: usize, dst_h: usize, dst_w: usize, pad_w: usize, plane: usize, out: &mut [f32]) {
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
pub fn resize_into_planar(img: &ImageRef<'_>, dst_h: usize, dst_w: usize, pad_h: usize, pad_w: usize, out: &mut [f32]) -> Result<(), ImagingError> {
    if dst_h == 0 || dst_w == 0 || dst_h > pad_h || dst_w > pad_w {
        return err(format!("target {dst_h}x{dst_w} must be non-empty and fit the padded {pad_h}x{pad_w}"));
    }
    let plane = pad_h * pad_w;
    if out.len() != img.channels * plane {
        return err(format!("output holds {} floats, {}x{pad_h}x{pad_w} needs {}", out.len(), img.channels, img.channels * plane));
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
        bilinear_planar(img.data, img.height, img.width, c, dst_h, dst_w, pad_w, plane, out);
    }
    Ok(())
}

/// `f32::floor` without the libm call it becomes on baseline x86-64 (no SSE4.1 `roundss`):
/// called twice per crop pixel, the call dominated the warp. Valid for |x| < 2^31.
#[inline(always)]
fn floor(x: f32) -> f32 {
    let t = x as i32 as f32;
    if t > x {
        t - 1.0
    } else {
        t
    }
}

/// Warp `img` through each inverse affine map (crop pixel (x, y) -> source
/// (m0 x + m1 y + m2, m3 x + m4 y + m5)) into `size x size` crops, bilinear, zero outside.
/// `out` is `[n, size, size, channels]` u8.
pub fn warp_affine(img: &ImageRef<'_>, inverse: &[[f32; 6]], size: usize, out: &mut [u8]) -> Result<(), ImagingError> {
    let c = img.channels;
    let crop = size * size * c;
    if out.len() != inverse.len() * crop {
        return err(format!("output holds {} bytes, {} crops of {size}x{size}x{c} need {}", out.len(), inverse.len(), inverse.len() * crop));
    }
    if inverse.iter().flatten().any(|v| !v.is_finite()) {
        return err("affine maps contain NaN or infinity".to_string());
    }
    for (m, dst) in inverse.iter().zip(out.chunks_exact_mut(crop.max(1))) {
        match c {
            1 => warp_one::<1>(img, m, size, dst),
            2 => warp_one::<2>(img, m, size, dst),
            3 => warp_one::<3>(img, m, size, dst),
            _ => warp_one::<4>(img, m, size, dst),
        }
    }
    Ok(())
}

fn warp_one<const C: usize>(img: &ImageRef<'_>, m: &[f32; 6], size: usize, dst: &mut [u8]) {
    let (h, w) = (img.height as isize, img.width as isize);
    let stride = img.width * C;
    let px = |x: isize, y: isize, ch: usize| -> f32 {
        if x < 0 || y < 0 || x >= w || y >= h {
            0.0
        } else {
            f32::from(img.data[y as usize * stride + x as usize * C + ch])
        }
    };
    for (y, row) in dst.chunks_exact_mut(size * C).enumerate() {
        let yf = y as f32;
        for (x, o) in row.chunks_exact_mut(C).enumerate() {
            let xf = x as f32;
            let sx = m[0] * xf + m[1] * yf + m[2];
            let sy = m[3] * xf + m[4] * yf + m[5];
            let (fx0, fy0) = (floor(sx), floor(sy));
            // far outside: black (and no isize overflow on huge coordinates)
            if fx0 < -2.0 || fy0 < -2.0 || fx0 > w as f32 + 1.0 || fy0 > h as f32 + 1.0 {
                o.iter_mut().for_each(|v| *v = 0);
                continue;
            }
            let (fx, fy) = (sx - fx0, sy - fy0);
            let (w00, w01, w10, w11) = ((1.0 - fx) * (1.0 - fy), fx * (1.0 - fy), (1.0 - fx) * fy, fx * fy);
            let (x0, y0) = (fx0 as isize, fy0 as isize);
            if x0 >= 0 && y0 >= 0 && x0 + 1 < w && y0 + 1 < h {
                let i = y0 as usize * stride + x0 as usize * C;
                let top = &img.data[i..i + 2 * C];
                let bot = &img.data[i + stride..i + stride + 2 * C];
                for ch in 0..C {
                    let v = f32::from(top[ch]) * w00 + f32::from(top[C + ch]) * w01 + f32::from(bot[ch]) * w10 + f32::from(bot[C + ch]) * w11;
                    o[ch] = (v.clamp(0.0, 255.0) + 0.5) as u8; // round half up
                }
            } else {
                for ch in 0..C {
                    let v = px(x0, y0, ch) * w00 + px(x0 + 1, y0, ch) * w01 + px(x0, y0 + 1, ch) * w10 + px(x0 + 1, y0 + 1, ch) * w11;
                    o[ch] = (v.clamp(0.0, 255.0) + 0.5) as u8;
                }
            }
        }
    }
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
                    assert_eq!(out[ch * 64 + y * 8 + x], f32::from(data[(y * 5 + x) * 3 + ch]));
                }
            }
        }
        assert!(out[5..8].iter().all(|&v| v == 0.0), "padding stays zero");
    }

    #[test]
    fn integer_downscale_is_a_block_mean() {
        let data: Vec<u8> = vec![0, 10, 20, 30, 40, 50, 60, 70, 80, 100, 110, 120, 130, 140, 150, 160];
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

    #[test]
    fn translation_warp_crops_exactly_and_border_is_black() {
        let data = ramp(20, 30, 3);
        let img = ImageRef::new(&data, 20, 30, 3).unwrap();
        let maps = [[1.0, 0.0, 5.0, 0.0, 1.0, 3.0], [1.0, 0.0, 1000.0, 0.0, 1.0, 0.0]];
        let mut out = vec![1u8; 2 * 8 * 8 * 3];
        warp_affine(&img, &maps, 8, &mut out).unwrap();
        for y in 0..8 {
            for x in 0..8 {
                for ch in 0..3 {
                    assert_eq!(out[(y * 8 + x) * 3 + ch], data[((y + 3) * 30 + x + 5) * 3 + ch]);
                }
            }
        }
        assert!(out[8 * 8 * 3..].iter().all(|&v| v == 0));
    }

    #[test]
    fn half_pixel_shift_averages_neighbours() {
        let data = vec![0u8, 100, 200, 0, 100, 200];
        let img = ImageRef::new(&data, 2, 3, 1).unwrap();
        let mut out = vec![0u8; 1];
        warp_affine(&img, &[[1.0, 0.0, 0.5, 0.0, 1.0, 0.0]], 1, &mut out).unwrap();
        assert_eq!(out[0], 50);
    }

    #[test]
    fn bad_shapes_and_values_are_errors() {
        let data = vec![0u8; 12];
        assert!(ImageRef::new(&data, 2, 3, 3).is_err());
        let img = ImageRef::new(&data, 2, 2, 3).unwrap();
        assert!(resize_into_planar(&img, 4, 4, 2, 2, &mut [0.0; 12]).is_err());
        assert!(warp_affine(&img, &[[f32::NAN, 0.0, 0.0, 0.0, 1.0, 0.0]], 1, &mut [0; 3]).is_err());
        assert!(warp_affine(&img, &[[1.0, 0.0, 0.0, 0.0, 1.0, 0.0]], 2, &mut [0; 3]).is_err());
    }
}
