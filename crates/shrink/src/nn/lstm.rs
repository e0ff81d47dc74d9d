//! A long short-term memory layer (Keras `LSTM`: gate order i, f, c, o; tanh activation,
//! sigmoid recurrent activation), trained by back-propagation through time.

use super::{ensure_len, Initializer, Layer, Param, Role};
use crate::kernels::{matmul, matmul_nt, matmul_tn, multiversion, Mat, Parallelism};
use crate::rng::Rng;
use crate::{Error, Float, Penalty};

/// An LSTM over per-sample sequences `[timesteps, features]`, batch-major in and out.
///
/// With gates `z = x_t·W + h_{t−1}·U + b` split as `[i, f, c, o]` (each `units` wide):
/// `i, f, o = σ(·)`, `g = tanh(z_c)`, `c_t = f⊙c_{t−1} + i⊙g`, `h_t = o⊙tanh(c_t)`, from
/// `h_{−1} = c_{−1} = 0`. The output is `h_{T−1}` (`[units]`), or every `h_t`
/// (`[timesteps, units]`) with [`Lstm::return_sequences`].
///
/// Parameters, in order: `kernel` `[features, 4·units]` ([`Role::Kernel`]), `recurrent_kernel`
/// `[units, 4·units]` ([`Role::RecurrentKernel`]) and `bias` `[4·units]` ([`Role::Bias`]), so a
/// penalty can address each one (`lstm_0.recurrent_kernel`, `*.recurrent_kernel`, …).
#[derive(Debug, Clone)]
pub struct Lstm<F> {
    name: String,
    units: usize,
    return_sequences: bool,
    unit_forget_bias: bool,
    kernel_penalty: Option<Penalty>,
    recurrent_penalty: Option<Penalty>,
    bias_penalty: Option<Penalty>,
    timesteps: usize,
    features: usize,
    params: Vec<Param<F>>,
    /// The input, time-major `[T, B, I]`.
    xt: Vec<F>,
    /// Gate pre-activations, then activations `[i, f, g, o]`, time-major `[T, B, 4U]`.
    gates: Vec<F>,
    /// Cell states `c_t`, `[T, B, U]`.
    cells: Vec<F>,
    /// `tanh(c_t)`, `[T, B, U]`.
    tanh_cells: Vec<F>,
    /// Hidden states `h_t`, `[T, B, U]`.
    hidden: Vec<F>,
    output: Vec<F>,
    /// Gradient of the gate pre-activations, `[T, B, 4U]`.
    dz: Vec<F>,
    /// Running gradients of `h_t` and `c_t`, `[B, U]`.
    dh: Vec<F>,
    dc: Vec<F>,
    /// Input gradient, time-major then batch-major.
    dxt: Vec<F>,
    dx: Vec<F>,
}

impl<F: Float> Lstm<F> {
    /// A layer of `units` cells: glorot_uniform kernel, orthogonal recurrent kernel, zero bias
    /// with the forget gate's bias at 1, returning only the last hidden state.
    pub fn new(units: usize) -> Self {
        Lstm {
            name: String::new(),
            units,
            return_sequences: false,
            unit_forget_bias: true,
            kernel_penalty: None,
            recurrent_penalty: None,
            bias_penalty: None,
            timesteps: 0,
            features: 0,
            params: Vec::new(),
            xt: Vec::new(),
            gates: Vec::new(),
            cells: Vec::new(),
            tanh_cells: Vec::new(),
            hidden: Vec::new(),
            output: Vec::new(),
            dz: Vec::new(),
            dh: Vec::new(),
            dc: Vec::new(),
            dxt: Vec::new(),
            dx: Vec::new(),
        }
    }

    /// Outputs every hidden state (`[timesteps, units]` per sample) instead of the last one;
    /// needed to stack another recurrent layer on top. Default false.
    pub fn return_sequences(mut self, yes: bool) -> Self {
        self.return_sequences = yes;
        self
    }

    /// Initializes the forget gate's bias to 1 (default true, as in Keras).
    pub fn unit_forget_bias(mut self, yes: bool) -> Self {
        self.unit_forget_bias = yes;
        self
    }

    /// Penalizes the input kernel.
    pub fn kernel_penalty(mut self, penalty: Penalty) -> Self {
        self.kernel_penalty = Some(penalty);
        self
    }

    /// Penalizes the recurrent kernel.
    pub fn recurrent_penalty(mut self, penalty: Penalty) -> Self {
        self.recurrent_penalty = Some(penalty);
        self
    }

    /// Penalizes the bias (off by default, as in Keras).
    pub fn bias_penalty(mut self, penalty: Penalty) -> Self {
        self.bias_penalty = Some(penalty);
        self
    }

    /// Number of cells.
    pub fn units(&self) -> usize {
        self.units
    }

    fn error(&self, message: String) -> Error {
        Error::Layer { layer: self.name.clone(), message }
    }
}

impl<F: Float> Layer<F> for Lstm<F> {
    fn kind(&self) -> &'static str {
        "lstm"
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn set_name(&mut self, name: String) {
        self.name = name;
    }

    fn build(&mut self, input_shape: &[usize], rng: &mut Rng) -> Result<Vec<usize>, Error> {
        let &[timesteps, features] = input_shape else {
            let hint = if input_shape.len() == 1 {
                "; to stack on another LSTM, give that one return_sequences(true)"
            } else {
                ""
            };
            return Err(self.error(format!(
                "LSTM expects [timesteps, features] per sample, got shape {input_shape:?}{hint}"
            )));
        };
        if timesteps == 0 {
            return Err(self.error(format!("LSTM cannot run over a sequence of length 0 (input shape {input_shape:?})")));
        }
        if features == 0 {
            return Err(self.error(format!(
                "LSTM cannot run over a sequence of length 0 in features: each step has 0 features (input shape {input_shape:?})"
            )));
        }
        if self.units == 0 {
            return Err(self.error("LSTM needs ≥ 1 unit, got 0".to_string()));
        }
        let (u, g) = (self.units, 4 * self.units);
        self.timesteps = timesteps;
        self.features = features;
        let mut kernel = Param::zeros(Role::Kernel, vec![features, g]);
        Initializer::GlorotUniform.fill(&mut kernel.value, features, g, rng);
        kernel.penalty = self.kernel_penalty;
        let mut recurrent = Param::zeros(Role::RecurrentKernel, vec![u, g]);
        Initializer::Orthogonal.fill(&mut recurrent.value, u, g, rng);
        recurrent.penalty = self.recurrent_penalty;
        let mut bias = Param::zeros(Role::Bias, vec![g]);
        if self.unit_forget_bias {
            bias.value[u..2 * u].fill(F::one());
        }
        bias.penalty = self.bias_penalty;
        self.params = vec![kernel, recurrent, bias];
        Ok(if self.return_sequences { vec![timesteps, u] } else { vec![u] })
    }

    fn params(&self) -> &[Param<F>] {
        &self.params
    }

    fn params_mut(&mut self) -> &mut [Param<F>] {
        &mut self.params
    }

    fn forward(&mut self, input: &[F], batch: usize, _training: bool, par: Parallelism) {
        let (t, i, u) = (self.timesteps, self.features, self.units);
        ensure_len(&mut self.xt, t * batch * i);
        ensure_len(&mut self.gates, t * batch * 4 * u);
        ensure_len(&mut self.cells, t * batch * u);
        ensure_len(&mut self.tanh_cells, t * batch * u);
        ensure_len(&mut self.hidden, t * batch * u);
        let out_len = if self.return_sequences { batch * t * u } else { batch * u };
        ensure_len(&mut self.output, out_len);
        lstm_forward(
            &input[..batch * t * i],
            &self.params[0].value,
            &self.params[1].value,
            &self.params[2].value,
            &mut self.xt[..t * batch * i],
            &mut self.gates[..t * batch * 4 * u],
            &mut self.cells[..t * batch * u],
            &mut self.tanh_cells[..t * batch * u],
            &mut self.hidden[..t * batch * u],
            &mut self.output[..out_len],
            batch,
            t,
            i,
            u,
            self.return_sequences,
            par,
        );
    }

    fn output(&self) -> &[F] {
        &self.output
    }

    fn backward(&mut self, _input: &[F], grad_output: &[F], batch: usize, need_input_grad: bool, par: Parallelism) {
        let (t, i, u) = (self.timesteps, self.features, self.units);
        ensure_len(&mut self.dz, t * batch * 4 * u);
        ensure_len(&mut self.dh, batch * u);
        ensure_len(&mut self.dc, batch * u);
        if need_input_grad {
            ensure_len(&mut self.dxt, t * batch * i);
            ensure_len(&mut self.dx, batch * t * i);
        }
        let out_len = if self.return_sequences { batch * t * u } else { batch * u };
        let [kernel, recurrent, bias] = &mut self.params[..] else { unreachable!("a built LSTM has three parameters") };
        let dx = if need_input_grad {
            Some((&mut self.dxt[..t * batch * i], &mut self.dx[..batch * t * i]))
        } else {
            None
        };
        lstm_backward(
            &grad_output[..out_len],
            &self.xt[..t * batch * i],
            &self.gates[..t * batch * 4 * u],
            &self.cells[..t * batch * u],
            &self.tanh_cells[..t * batch * u],
            &self.hidden[..t * batch * u],
            &kernel.value,
            &recurrent.value,
            &mut kernel.grad,
            &mut recurrent.grad,
            &mut bias.grad,
            &mut self.dz[..t * batch * 4 * u],
            &mut self.dh[..batch * u],
            &mut self.dc[..batch * u],
            dx,
            batch,
            t,
            i,
            u,
            self.return_sequences,
            par,
        );
    }

    fn input_grad(&self) -> &[F] {
        &self.dx
    }

    fn forward_macs(&self) -> usize {
        self.timesteps * (self.features + self.units) * 4 * self.units
    }

    fn clone_box(&self) -> Box<dyn Layer<F>> {
        Box::new(self.clone())
    }
}

/// `1/(1+e^−x)`; for f32 through a vectorizable exp.
#[inline(always)]
fn sigmoid<F: Float>(x: F) -> F {
    F::one() / (F::one() + exp(-x))
}

/// `tanh(x)`; for f32 as `1 − 2/(1+e^{2x})` through a vectorizable exp.
#[inline(always)]
fn tanh<F: Float>(x: F) -> F {
    if size_of::<F>() == 4 {
        let two = F::one() + F::one();
        F::one() - two / (F::one() + exp(two * x))
    } else {
        x.tanh()
    }
}

/// `e^x`: the libm function for f64 (gradient checks need every digit), and for f32 a
/// branch-free Cody–Waite reduction with a degree-6 polynomial (≤ 2 ulp on the normal range,
/// saturating to 0 and +inf), which the compiler vectorizes where a libm call cannot be.
#[inline(always)]
fn exp<F: Float>(x: F) -> F {
    if size_of::<F>() == 4 {
        let x = x.to_f32().unwrap_or(0.0);
        F::of(f64::from(exp_f32(x)))
    } else {
        x.exp()
    }
}

#[inline(always)]
fn exp_f32(x: f32) -> f32 {
    // Keep 2^n a normal number; beyond these bounds the result saturates anyway.
    let xc = x.clamp(-87.0, 88.0);
    let n = (xc * std::f32::consts::LOG2_E).round();
    let r = xc - n * 0.693_145_75 - n * 1.428_606_8e-6;
    // e^r on |r| ≤ ln2/2, Taylor-like minimax coefficients (Cephes expf).
    let p = 1.987_569_1e-4f32;
    let p = p * r + 1.398_199_9e-3;
    let p = p * r + 8.333_452e-3;
    let p = p * r + 4.166_579_6e-2;
    let p = p * r + 0.166_666_65;
    let p = p * r + 0.5;
    let p = p * r * r + r + 1.0;
    let scale = f32::from_bits(((n as i32 + 127) as u32) << 23);
    let y = p * scale;
    if x < -87.0 {
        0.0
    } else if x > 88.0 {
        f32::INFINITY
    } else {
        y
    }
}

multiversion! {
    /// The forward pass: one product for every step's input projection, then the recurrence.
    fn lstm_forward<F: Float>(
        input: &[F],
        kernel: &[F],
        recurrent: &[F],
        bias: &[F],
        xt: &mut [F],
        gates: &mut [F],
        cells: &mut [F],
        tanh_cells: &mut [F],
        hidden: &mut [F],
        output: &mut [F],
        batch: usize,
        steps: usize,
        features: usize,
        units: usize,
        return_sequences: bool,
        par: Parallelism<'_>,
    ) {
        let (u, g) = (units, 4 * units);
        let bu = batch * u;
        // [B, T, I] → [T, B, I], so each step's rows are contiguous.
        for b in 0..batch {
            for t in 0..steps {
                let src = &input[(b * steps + t) * features..(b * steps + t + 1) * features];
                xt[(t * batch + b) * features..(t * batch + b + 1) * features].copy_from_slice(src);
            }
        }
        for row in gates.chunks_exact_mut(g) {
            row.copy_from_slice(bias);
        }
        matmul(Mat::new(xt, steps * batch, features), Mat::new(kernel, features, g), F::one(), gates, par);
        for t in 0..steps {
            let z = &mut gates[t * batch * g..(t + 1) * batch * g];
            if t > 0 {
                let h_prev = &hidden[(t - 1) * bu..t * bu];
                matmul(Mat::new(h_prev, batch, u), Mat::new(recurrent, u, g), F::one(), z, par);
            }
            let (cells_before, cells_now) = cells.split_at_mut(t * bu);
            let c_prev = if t > 0 { Some(&cells_before[(t - 1) * bu..]) } else { None };
            let c_now = &mut cells_now[..bu];
            let tc_now = &mut tanh_cells[t * bu..(t + 1) * bu];
            let h_now = &mut hidden[t * bu..(t + 1) * bu];
            for b in 0..batch {
                let zr = &mut z[b * g..(b + 1) * g];
                let (ifg, o) = zr.split_at_mut(3 * u);
                let (if_, gg) = ifg.split_at_mut(2 * u);
                if_.iter_mut().for_each(|v| *v = sigmoid(*v));
                gg.iter_mut().for_each(|v| *v = tanh(*v));
                o.iter_mut().for_each(|v| *v = sigmoid(*v));
                let (ig, fg) = if_.split_at(u);
                let row = b * u..(b + 1) * u;
                let c = &mut c_now[row.clone()];
                match c_prev {
                    Some(cp) => {
                        for k in 0..u {
                            c[k] = fg[k] * cp[b * u + k] + ig[k] * gg[k];
                        }
                    }
                    None => {
                        for k in 0..u {
                            c[k] = ig[k] * gg[k];
                        }
                    }
                }
                let tc = &mut tc_now[row.clone()];
                let h = &mut h_now[row];
                for k in 0..u {
                    tc[k] = tanh(c[k]);
                    h[k] = o[k] * tc[k];
                }
            }
        }
        if return_sequences {
            for t in 0..steps {
                for b in 0..batch {
                    let src = &hidden[t * bu + b * u..t * bu + (b + 1) * u];
                    output[(b * steps + t) * u..(b * steps + t + 1) * u].copy_from_slice(src);
                }
            }
        } else {
            output.copy_from_slice(&hidden[(steps - 1) * bu..steps * bu]);
        }
    }
}

multiversion! {
    /// Back-propagation through time: per step the gate gradients, `dU += h_{t−1}ᵀ·dZ_t` and
    /// `dh_{t−1} = dZ_t·Uᵀ`; then one product each for the kernel and input gradients.
    fn lstm_backward<F: Float>(
        grad_output: &[F],
        xt: &[F],
        gates: &[F],
        cells: &[F],
        tanh_cells: &[F],
        hidden: &[F],
        kernel: &[F],
        recurrent: &[F],
        kernel_grad: &mut [F],
        recurrent_grad: &mut [F],
        bias_grad: &mut [F],
        dz: &mut [F],
        dh: &mut [F],
        dc: &mut [F],
        dx: Option<(&mut [F], &mut [F])>,
        batch: usize,
        steps: usize,
        features: usize,
        units: usize,
        return_sequences: bool,
        par: Parallelism<'_>,
    ) {
        let (u, g) = (units, 4 * units);
        let bu = batch * u;
        dh.fill(F::zero());
        dc.fill(F::zero());
        recurrent_grad.fill(F::zero());
        for t in (0..steps).rev() {
            if return_sequences {
                for b in 0..batch {
                    let src = &grad_output[(b * steps + t) * u..(b * steps + t + 1) * u];
                    dh[b * u..(b + 1) * u].iter_mut().zip(src).for_each(|(d, &s)| *d += s);
                }
            } else if t == steps - 1 {
                dh.iter_mut().zip(grad_output).for_each(|(d, &s)| *d += s);
            }
            let dz_t = &mut dz[t * batch * g..(t + 1) * batch * g];
            let gates_t = &gates[t * batch * g..(t + 1) * batch * g];
            let tc_t = &tanh_cells[t * bu..(t + 1) * bu];
            for b in 0..batch {
                let a = &gates_t[b * g..(b + 1) * g];
                let (ig, fg, gg, og) = (&a[..u], &a[u..2 * u], &a[2 * u..3 * u], &a[3 * u..]);
                let d = &mut dz_t[b * g..(b + 1) * g];
                let (di, rest) = d.split_at_mut(u);
                let (df, rest) = rest.split_at_mut(u);
                let (dg, do_) = rest.split_at_mut(u);
                let row = b * u..(b + 1) * u;
                let (dhr, dcr, tc) = (&dh[row.clone()], &mut dc[row.clone()], &tc_t[row.clone()]);
                // c_{t−1}; zero before the first step (the loop is unswitched on it).
                let cp = if t > 0 { &cells[(t - 1) * bu + b * u..(t - 1) * bu + (b + 1) * u] } else { tc };
                let first = t == 0;
                let one = F::one();
                for k in 0..u {
                    let (i, f, gv, o) = (ig[k], fg[k], gg[k], og[k]);
                    let dct = dcr[k] + dhr[k] * o * (one - tc[k] * tc[k]);
                    di[k] = dct * gv * i * (one - i);
                    df[k] = if first { F::zero() } else { dct * cp[k] * f * (one - f) };
                    dg[k] = dct * i * (one - gv * gv);
                    do_[k] = dhr[k] * tc[k] * o * (one - o);
                    dcr[k] = dct * f;
                }
            }
            if t > 0 {
                let dz_t = &*dz_t;
                let h_prev = &hidden[(t - 1) * bu..t * bu];
                matmul_tn(Mat::new(h_prev, batch, u), Mat::new(dz_t, batch, g), F::one(), recurrent_grad, par);
                matmul_nt(Mat::new(dz_t, batch, g), Mat::new(recurrent, u, g), dh, par);
            }
        }
        let dz = &*dz;
        matmul_tn(Mat::new(xt, steps * batch, features), Mat::new(dz, steps * batch, g), F::zero(), kernel_grad, par);
        bias_grad.fill(F::zero());
        for row in dz.chunks_exact(g) {
            bias_grad.iter_mut().zip(row).for_each(|(s, &d)| *s += d);
        }
        if let Some((dxt, dx)) = dx {
            matmul_nt(Mat::new(dz, steps * batch, g), Mat::new(kernel, features, g), dxt, par);
            for t in 0..steps {
                for b in 0..batch {
                    let src = &dxt[(t * batch + b) * features..(t * batch + b + 1) * features];
                    dx[(b * steps + t) * features..(b * steps + t + 1) * features].copy_from_slice(src);
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "lstm_tests.rs"]
mod tests;
