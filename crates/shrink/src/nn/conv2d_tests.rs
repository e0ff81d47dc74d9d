//! Convolution tests: a direct reference, gradients, shapes and errors.

use super::*;
use crate::nn::testing::check_layer;
use crate::nn::{Conv1D, Dense, Flatten, Model};

/// Direct convolution with Keras indexing: `out[oy, ox, f] = b[f] + Σ x[iy, ix, c]·W[ky, kx, c, f]`,
/// `iy = oy·sh + ky − pad_top`, for one sample.
#[allow(clippy::too_many_arguments)]
fn reference(
    x: &[f64],
    (h, w, c): (usize, usize, usize),
    kernel: &[f64],
    bias: &[f64],
    (kh, kw, f): (usize, usize, usize),
    (sh, sw): (usize, usize),
    (pt, pl): (usize, usize),
    (oh, ow): (usize, usize),
) -> Vec<f64> {
    let mut out = vec![0.0; oh * ow * f];
    for oy in 0..oh {
        for ox in 0..ow {
            for fi in 0..f {
                let mut s = bias.get(fi).copied().unwrap_or(0.0);
                for ky in 0..kh {
                    for kx in 0..kw {
                        let (iy, ix) = ((oy * sh + ky) as isize - pt as isize, (ox * sw + kx) as isize - pl as isize);
                        if iy < 0 || ix < 0 || iy >= h as isize || ix >= w as isize {
                            continue;
                        }
                        for ci in 0..c {
                            s += x[((iy as usize) * w + ix as usize) * c + ci]
                                * kernel[((ky * kw + kx) * c + ci) * f + fi];
                        }
                    }
                }
                out[(oy * ow + ox) * f + fi] = s;
            }
        }
    }
    out
}

fn build(layer: Conv2D<f64>, shape: &[usize]) -> (Conv2D<f64>, Vec<usize>) {
    let mut layer = layer;
    let out = layer.build(shape, &mut Rng::new(3)).unwrap();
    (layer, out)
}

/// Hand-computed: x = [[1,2,3],[4,5,6],[7,8,9]], kernel [[1,2],[3,4]], one channel.
/// Valid: out[0][0] = 1·1 + 2·2 + 4·3 + 5·4 = 37, then 47, 67, 77.
/// Same (TensorFlow): out = ⌈3/1⌉ = 3, total pad (3−1)·1 + 2 − 3 = 1 → 0 before, 1 after (the
/// bottom row and right column are zero): row 0 = 37, 47, 3·1 + 6·3 = 21; row 1 = 67, 77,
/// 6·1 + 9·3 = 33; row 2 = 7·1 + 8·2 = 23, 8·1 + 9·2 = 26, 9.
/// Same with stride 2: out 2, total (2−1)·2 + 2 − 3 = 1 → 0 before: positions (0,0), (0,2),
/// (2,0), (2,2) of the stride-1 map: 37, 21, 23, 9.
/// Same with a 3×3 kernel of ones: one zero row/column on every side, so each output is
/// the sum of its 3×3 neighbourhood: 12 21 16 / 27 45 33 / 24 39 28.
#[test]
fn known_values_valid_and_same_padding() {
    let x: Vec<f64> = (1..=9).map(f64::from).collect();
    let run = |layer: Conv2D<f64>, kernel: &[f64], bias: f64| {
        let (mut layer, shape) = build(layer, &[3, 3, 1]);
        layer.params_mut()[0].value.copy_from_slice(kernel);
        layer.params_mut()[1].value[0] = bias;
        layer.forward(&x, 1, false, Parallelism::Sequential);
        let n: usize = shape.iter().product();
        (shape, layer.output()[..n].to_vec())
    };
    let k2 = [1.0, 2.0, 3.0, 4.0];
    assert_eq!(run(Conv2D::new(1, (2, 2)), &k2, 0.0), (vec![2, 2, 1], vec![37.0, 47.0, 67.0, 77.0]));
    assert_eq!(
        run(Conv2D::new(1, (2, 2)).padding(Padding::Same), &k2, 0.0),
        (vec![3, 3, 1], vec![37.0, 47.0, 21.0, 67.0, 77.0, 33.0, 23.0, 26.0, 9.0])
    );
    assert_eq!(
        run(Conv2D::new(1, (2, 2)).padding(Padding::Same).strides((2, 2)), &k2, 0.5),
        (vec![2, 2, 1], vec![37.5, 21.5, 23.5, 9.5])
    );
    assert_eq!(
        run(Conv2D::new(1, (3, 3)).padding(Padding::Same), &[1.0; 9], 0.0),
        (vec![3, 3, 1], vec![12.0, 21.0, 16.0, 27.0, 45.0, 33.0, 24.0, 39.0, 28.0])
    );
    // relu is applied after the bias.
    let (_, y) = run(Conv2D::new(1, (2, 2)).activation(Activation::Relu), &[-1.0, 0.0, 0.0, 0.0], 2.0);
    assert_eq!(y, [1.0, 0.0, 0.0, 0.0]);
}

#[test]
fn matches_direct_convolution_with_keras_kernel_layout() {
    let cases = [
        ((5, 6, 3), (3, 2), (1, 1), Padding::Valid, 4),
        ((7, 5, 2), (3, 3), (2, 2), Padding::Same, 3),
        ((6, 7, 2), (2, 4), (3, 2), Padding::Same, 2),
        ((4, 4, 3), (1, 1), (1, 1), Padding::Valid, 5),
        ((2, 3, 1), (4, 4), (1, 2), Padding::Same, 2),
    ];
    let mut rng = Rng::new(8);
    for ((h, w, c), (kh, kw), strides, padding, f) in cases {
        let (mut layer, shape) = build(Conv2D::new(f, (kh, kw)).strides(strides).padding(padding), &[h, w, c]);
        layer.params_mut()[1].value.iter_mut().for_each(|b| *b = rng.uniform(-1.0, 1.0));
        let batch = 3;
        let x: Vec<f64> = (0..batch * h * w * c).map(|_| rng.uniform(-1.0, 1.0)).collect();
        layer.forward(&x, batch, false, Parallelism::Sequential);
        let win = layer.0.window;
        let pads = (win.rows.pad_before, win.cols.pad_before);
        let out_len: usize = shape.iter().product();
        for b in 0..batch {
            let want = reference(
                &x[b * h * w * c..(b + 1) * h * w * c],
                (h, w, c),
                &layer.params()[0].value,
                &layer.params()[1].value,
                (kh, kw, f),
                strides,
                pads,
                (shape[0], shape[1]),
            );
            let got = &layer.output()[b * out_len..(b + 1) * out_len];
            for (g, w) in got.iter().zip(&want) {
                assert!((g - w).abs() < 1e-12, "{h}x{w}x{c} k{kh}x{kw} {strides:?} {padding:?}");
            }
        }
    }
}

#[test]
fn conv2d_gradients_match_finite_differences() {
    let l1l2 = Penalty::l1_l2(0.01, 0.02).unwrap();
    let cases: Vec<(Conv2D<f64>, [usize; 3])> = vec![
        (
            Conv2D::new(3, (3, 2))
                .activation(Activation::Tanh)
                .kernel_penalty(l1l2)
                .bias_penalty(Penalty::l2(0.05).unwrap()),
            [5, 6, 2],
        ),
        (Conv2D::new(2, (3, 3)).strides((2, 2)).padding(Padding::Same).activation(Activation::Sigmoid), [7, 5, 2]),
        (Conv2D::new(2, (2, 3)).strides((3, 2)).padding(Padding::Same).use_bias(false), [5, 7, 3]),
        (Conv2D::new(3, (3, 3)).strides((2, 1)).kernel_penalty(Penalty::l1(0.03).unwrap()), [7, 5, 1]),
        (Conv2D::new(2, (1, 1)).activation(Activation::Tanh), [3, 4, 3]),
        (Conv2D::new(2, (4, 4)).padding(Padding::Same), [2, 3, 2]),
    ];
    for (i, (layer, shape)) in cases.into_iter().enumerate() {
        check_layer(layer, &shape, 2, i as u64, |_| {});
    }
}

#[test]
fn conv1d_gradients_and_shapes() {
    let layer = Conv1D::new(3, 3).strides(2).padding(Padding::Same).activation(Activation::Tanh);
    assert_eq!(check_layer(layer, &[7, 2], 3, 1, |_| {}), [4, 3]);
    let layer = Conv1D::new(2, 2).kernel_penalty(Penalty::l2(0.1).unwrap()).bias_penalty(Penalty::l1(0.1).unwrap());
    assert_eq!(check_layer(layer, &[5, 3], 2, 2, |_| {}), [4, 2]);
    assert_eq!(check_layer(Conv1D::new(2, 3).strides(2).use_bias(false), &[8, 1], 2, 3, |_| {}), [3, 2]);
}

#[test]
fn parameters_have_keras_shapes_fans_and_names() {
    let m = Model::<f64>::builder(&[8, 8, 3])
        .layer(Conv2D::new(16, (3, 2)))
        .layer(Conv2D::new(4, (2, 2)).use_bias(false))
        .build(0)
        .unwrap();
    let names: Vec<String> = m.params().map(|(n, _)| n).collect();
    assert_eq!(names, ["conv2d_0.kernel", "conv2d_0.bias", "conv2d_1.kernel"]);
    let k = m.param(m.select("conv2d_0.kernel").unwrap()[0]);
    assert_eq!(k.shape, [3, 2, 3, 16]);
    // glorot_uniform with fan_in = 3·2·3 = 18, fan_out = 3·2·16 = 96.
    let limit = (6.0f64 / (18.0 + 96.0)).sqrt();
    let max = k.value.iter().fold(0.0f64, |m, w| m.max(w.abs()));
    assert!(max <= limit && max > 0.9 * limit, "{max} vs {limit}");
    assert!(m.param(m.select("conv2d_0.bias").unwrap()[0]).value.iter().all(|&b| b == 0.0));
    assert_eq!(m.layers()[1].params()[0].shape, [2, 2, 16, 4]);
    assert_eq!(m.output_size(), 5 * 6 * 4); // 8×8 → 6×7 → 5×6
    let m = Model::<f64>::builder(&[10, 3]).layer(Conv1D::new(5, 4).strides(3)).build(0).unwrap();
    assert_eq!(m.layers()[0].kind(), "conv1d");
    assert_eq!(m.layers()[0].params()[0].shape, [4, 3, 5]);
    assert_eq!(m.output_size(), 3 * 5);
}

fn error_of(shape: &[usize], layer: impl Layer<f32> + 'static) -> String {
    Model::<f32>::builder(shape).layer(layer).build(0).err().expect("build must fail").to_string()
}

#[test]
fn shape_errors_do_not_panic() {
    let e = error_of(&[16], Conv2D::new(4, (3, 3)));
    assert!(e.contains("conv2d_0") && e.contains("[height, width, channels]") && e.contains("[16]"), "{e}");
    let e = error_of(&[4, 4, 1], Conv1D::new(4, 3));
    assert!(e.contains("[steps, channels]"), "{e}");
    let e = error_of(&[4, 4, 1], Conv2D::new(4, (5, 3)));
    assert!(e.contains("kernel 5×3 is larger than the input 4×4 with valid padding"), "{e}");
    assert!(Model::<f32>::builder(&[4, 4, 1]).layer(Conv2D::new(4, (5, 3)).padding(Padding::Same)).build(0).is_ok());
    let e = error_of(&[3, 2], Conv1D::new(4, 4));
    assert!(e.contains("kernel 4 is larger than the input 3"), "{e}");
    assert!(error_of(&[4, 4, 1], Conv2D::new(0, (3, 3))).contains("at least 1 filter"));
    assert!(error_of(&[4, 4, 1], Conv2D::new(2, (0, 3))).contains("kernel size of at least 1"));
    assert!(error_of(&[4, 4, 1], Conv2D::new(2, (3, 3)).strides((1, 0))).contains("strides of at least 1"));
    assert!(error_of(&[5, 1], Conv1D::new(2, 2).strides(0)).contains("strides of at least 1, got 0"));
    let e = Model::<f32>::builder(&[6, 6, 1])
        .layer(Conv2D::new(2, (3, 3)))
        .layer(Dense::new(3))
        .build(0)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("dense_0") && e.contains("Flatten"), "{e}");
    let m = Model::<f32>::builder(&[6, 6, 1]).layer(Conv2D::new(2, (3, 3))).layer(Flatten::new()).layer(Dense::new(3));
    assert!(m.build(0).is_ok());
}
