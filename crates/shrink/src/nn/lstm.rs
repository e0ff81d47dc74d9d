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
///
/// Internally every per-step buffer is time-major, so that the input projection of all steps,
/// and after back-propagation the kernel and recurrent-kernel gradients, are each one large
/// product. The recurrence itself is split by batch rows across the threads of the
/// [`Parallelism`] (rows are independent through time), with an unpacked register-tiled kernel
/// for the small per-step products; results are bit-identical at every thread count. In `f32`
/// the gate nonlinearities use a vectorizable `exp` within 3e-7 relative error of libm's; in
/// `f64` (gradient checks) they use libm.
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
    /// The recurrent kernel transposed, `[4U, U]`.
    rt: Vec<F>,
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
            rt: Vec::new(),
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
            return Err(
                self.error(format!("LSTM expects [timesteps, features] per sample, got shape {input_shape:?}{hint}"))
            );
        };
        if timesteps == 0 {
            return Err(
                self.error(format!("LSTM cannot run over a sequence of length 0 (input shape {input_shape:?})"))
            );
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
        let (bu, g) = (batch * u, 4 * u);
        ensure_len(&mut self.xt, t * batch * i);
        ensure_len(&mut self.gates, t * batch * g);
        ensure_len(&mut self.cells, t * bu);
        ensure_len(&mut self.tanh_cells, t * bu);
        ensure_len(&mut self.hidden, t * bu);
        let out_len = if self.return_sequences { t * bu } else { bu };
        ensure_len(&mut self.output, out_len);
        let [kernel, recurrent, bias] = &self.params[..] else { unreachable!("a built LSTM has three parameters") };
        let gates = &mut self.gates[..t * batch * g];
        lstm_project(
            &input[..batch * t * i],
            &kernel.value,
            &bias.value,
            &mut self.xt[..t * batch * i],
            gates,
            batch,
            t,
            i,
            par,
        );
        let views = (
            Steps::new(gates, batch, g),
            Steps::new(&mut self.cells[..t * bu], batch, u),
            Steps::new(&mut self.tanh_cells[..t * bu], batch, u),
            Steps::new(&mut self.hidden[..t * bu], batch, u),
        );
        let recurrent = recurrent.value.as_slice();
        run_rows(par, batch, &|r0, r1| forward_rows(&views.0, &views.1, &views.2, &views.3, recurrent, r0, r1, t, u));
        let hidden = &self.hidden[..t * bu];
        let output = &mut self.output[..out_len];
        if self.return_sequences {
            for (s, step) in hidden.chunks_exact(bu).enumerate() {
                for (b, h) in step.chunks_exact(u).enumerate() {
                    output[(b * t + s) * u..(b * t + s + 1) * u].copy_from_slice(h);
                }
            }
        } else {
            output.copy_from_slice(&hidden[(t - 1) * bu..]);
        }
    }

    fn output(&self) -> &[F] {
        &self.output
    }

    fn backward(&mut self, _input: &[F], grad_output: &[F], batch: usize, need_input_grad: bool, par: Parallelism) {
        let (t, i, u) = (self.timesteps, self.features, self.units);
        let (bu, g) = (batch * u, 4 * u);
        ensure_len(&mut self.dz, t * batch * g);
        ensure_len(&mut self.dh, bu);
        ensure_len(&mut self.dc, bu);
        ensure_len(&mut self.rt, g * u);
        if need_input_grad {
            ensure_len(&mut self.dxt, t * batch * i);
            ensure_len(&mut self.dx, batch * t * i);
        }
        let out_len = if self.return_sequences { t * bu } else { bu };
        let [kernel, recurrent, bias] = &mut self.params[..] else { unreachable!("a built LSTM has three parameters") };
        // Uᵀ, so that dh = dZ·Uᵀ runs through the same row-major kernel as the forward product.
        let rt = &mut self.rt[..g * u];
        for (p, row) in recurrent.value.chunks_exact(g).enumerate() {
            for (j, &w) in row.iter().enumerate() {
                rt[j * u + p] = w;
            }
        }
        let views = (
            Steps::new(&mut self.dz[..t * batch * g], batch, g),
            Steps::new(&mut self.dh[..bu], batch, u),
            Steps::new(&mut self.dc[..bu], batch, u),
        );
        let (grad_output, gates) = (&grad_output[..out_len], &self.gates[..t * batch * g]);
        let (cells, tanh_cells, rt) = (&self.cells[..t * bu], &self.tanh_cells[..t * bu], &self.rt[..g * u]);
        let rs = self.return_sequences;
        run_rows(par, batch, &|r0, r1| {
            backward_rows(
                grad_output,
                gates,
                cells,
                tanh_cells,
                rt,
                &views.0,
                &views.1,
                &views.2,
                r0,
                r1,
                batch,
                t,
                u,
                rs,
            )
        });
        let dx =
            if need_input_grad { Some((&mut self.dxt[..t * batch * i], &mut self.dx[..batch * t * i])) } else { None };
        lstm_gradients(
            &self.xt[..t * batch * i],
            &self.hidden[..t * bu],
            &self.dz[..t * batch * g],
            &kernel.value,
            &mut kernel.grad,
            &mut recurrent.grad,
            &mut bias.grad,
            dx,
            batch,
            t,
            i,
            u,
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
    // Round x·log2(e) to the nearest integer n with the 1.5·2²³ trick: n's bits end up in the
    // low mantissa bits of `t`, so 2ⁿ is built with integer adds and shifts that vectorize
    // (a float → int `as` cast saturates, and does not).
    const MAGIC: f32 = 12_582_912.0;
    let t = xc * std::f32::consts::LOG2_E + MAGIC;
    let n = t - MAGIC;
    let r = xc - n * 0.693_145_75 - n * 1.428_606_8e-6;
    // e^r on |r| ≤ ln2/2, Taylor-like minimax coefficients (Cephes expf).
    let p = 1.987_569_1e-4f32;
    let p = p * r + 1.398_199_9e-3;
    let p = p * r + 8.333_452e-3;
    let p = p * r + 4.166_579_6e-2;
    let p = p * r + 0.166_666_65;
    let p = p * r + 0.5;
    let p = p * r * r + r + 1.0;
    let scale = f32::from_bits((t.to_bits().wrapping_sub(MAGIC.to_bits()).wrapping_add(127)) << 23);
    let y = p * scale;
    if x < -87.0 {
        0.0
    } else if x > 88.0 {
        f32::INFINITY
    } else {
        y
    }
}

/// Raw access to one time-major buffer `[steps, batch, width]`, so that each thread can own a
/// block of batch rows across every step: a step's rows are contiguous, a thread's rows over
/// time are not, so plain slice splitting cannot express the partition.
struct Steps<F> {
    ptr: *mut F,
    len: usize,
    batch: usize,
    width: usize,
}

// SAFETY: the pointer is only dereferenced through `rows`, whose callers guarantee that threads
// touch disjoint rows; the borrow it came from outlives every thread (scoped by `run_rows`).
unsafe impl<F: Send> Send for Steps<F> {}
unsafe impl<F: Sync> Sync for Steps<F> {}

impl<F> Steps<F> {
    fn new(buf: &mut [F], batch: usize, width: usize) -> Self {
        Steps { ptr: buf.as_mut_ptr(), len: buf.len(), batch, width }
    }

    /// Rows `r` of step `t`.
    ///
    /// # Safety
    /// No two slices alive at once may overlap (threads own disjoint rows; one thread takes
    /// distinct steps), and the buffer must not be used otherwise meanwhile.
    #[inline(always)]
    #[allow(clippy::mut_from_ref)]
    unsafe fn rows<'a>(&self, t: usize, r: std::ops::Range<usize>) -> &'a mut [F] {
        let (start, end) = ((t * self.batch + r.start) * self.width, (t * self.batch + r.end) * self.width);
        assert!(start <= end && end <= self.len, "rows out of range");
        // SAFETY: in bounds (checked above); exclusivity is the caller's contract.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.add(start), end - start) }
    }
}

/// Fewest batch rows worth a thread of their own.
const MIN_ROWS_PER_THREAD: usize = 4;

/// Runs `f(r0, r1)` over blocks of batch rows, one per thread of `par`. Every row's arithmetic
/// is the same whichever block it falls in, so results are bit-identical at any thread count.
fn run_rows(par: Parallelism, batch: usize, f: &(dyn Fn(usize, usize) + Sync)) {
    let parts = match par {
        Parallelism::Pool(pool) => pool.current_num_threads().min(batch / MIN_ROWS_PER_THREAD).max(1),
        Parallelism::Sequential => 1,
    };
    match par {
        Parallelism::Pool(pool) if parts > 1 => pool.install(|| split_rows(0, batch, parts, f)),
        _ => f(0, batch),
    }
}

fn split_rows(r0: usize, r1: usize, parts: usize, f: &(dyn Fn(usize, usize) + Sync)) {
    if parts <= 1 {
        return f(r0, r1);
    }
    let half = parts / 2;
    // Block edges on multiples of the kernel's row tile where possible.
    let mid = (r0 + ((r1 - r0) * half / parts).div_ceil(TILE_ROWS) * TILE_ROWS).min(r1);
    rayon::join(|| split_rows(r0, mid, half, f), || split_rows(mid, r1, parts - half, f));
}

const TILE_ROWS: usize = 4;
const TILE_COLS: usize = 16;

/// `C[m×n] += A[m×k]·B[k×n]`, row-major, for the per-step recurrent products: register tiles
/// of 4 rows × 16 columns, no packing, nothing allocated. Each element is `c + Σ_p a·b` summed
/// in order of `p` whatever tile it falls in, so how rows are split never changes a bit.
#[inline(always)]
fn gemm_acc<F: Float>(a: &[F], b: &[F], c: &mut [F], m: usize, k: usize, n: usize) {
    assert!(a.len() >= m * k && b.len() >= k * n && c.len() >= m * n);
    let mut i = 0;
    while i + TILE_ROWS <= m {
        gemm_rows::<F, TILE_ROWS>(&a[i * k..(i + TILE_ROWS) * k], b, &mut c[i * n..(i + TILE_ROWS) * n], k, n);
        i += TILE_ROWS;
    }
    while i < m {
        gemm_rows::<F, 1>(&a[i * k..(i + 1) * k], b, &mut c[i * n..(i + 1) * n], k, n);
        i += 1;
    }
}

#[inline(always)]
fn gemm_rows<F: Float, const R: usize>(a: &[F], b: &[F], c: &mut [F], k: usize, n: usize) {
    let a: [&[F]; R] = std::array::from_fn(|r| &a[r * k..(r + 1) * k]);
    let full = n / TILE_COLS * TILE_COLS;
    for j in (0..full).step_by(TILE_COLS) {
        let mut acc = [[F::zero(); TILE_COLS]; R];
        for (r, acc) in acc.iter_mut().enumerate() {
            acc.copy_from_slice(&c[r * n + j..r * n + j + TILE_COLS]);
        }
        for (p, brow) in b.chunks_exact(n).take(k).enumerate() {
            let bv: &[F; TILE_COLS] = brow[j..j + TILE_COLS].try_into().expect("tile width");
            for (acc, arow) in acc.iter_mut().zip(&a) {
                let av = arow[p];
                for (x, &y) in acc.iter_mut().zip(bv) {
                    *x += av * y;
                }
            }
        }
        for (r, acc) in acc.iter().enumerate() {
            c[r * n + j..r * n + j + TILE_COLS].copy_from_slice(acc);
        }
    }
    for j in full..n {
        for (r, arow) in a.iter().enumerate() {
            let mut s = c[r * n + j];
            for (p, &av) in arow.iter().enumerate() {
                s += av * b[p * n + j];
            }
            c[r * n + j] = s;
        }
    }
}

multiversion! {
    /// Before the recurrence: the input in time-major order and its projection for every step
    /// as one product, `gates = X·W + b`.
    fn lstm_project<F: Float>(
        input: &[F],
        kernel: &[F],
        bias: &[F],
        xt: &mut [F],
        gates: &mut [F],
        batch: usize,
        steps: usize,
        features: usize,
        par: Parallelism<'_>,
    ) {
        // [B, T, I] → [T, B, I], so each step's rows are contiguous.
        for b in 0..batch {
            for t in 0..steps {
                let src = &input[(b * steps + t) * features..(b * steps + t + 1) * features];
                xt[(t * batch + b) * features..(t * batch + b + 1) * features].copy_from_slice(src);
            }
        }
        let g = bias.len();
        for row in gates.chunks_exact_mut(g) {
            row.copy_from_slice(bias);
        }
        matmul(Mat::new(xt, steps * batch, features), Mat::new(kernel, features, g), F::one(), gates, par);
    }
}

multiversion! {
    /// The recurrence for batch rows `r0..r1`: per step `z += h_{t−1}·U`, the gates, `c_t`, `h_t`.
    fn forward_rows<F: Float>(
        gates: &Steps<F>,
        cells: &Steps<F>,
        tanh_cells: &Steps<F>,
        hidden: &Steps<F>,
        recurrent: &[F],
        r0: usize,
        r1: usize,
        steps: usize,
        units: usize,
    ) {
        let (u, g, m) = (units, 4 * units, r1 - r0);
        for t in 0..steps {
            // SAFETY: this call owns rows r0..r1 of every step, and steps t−1 and t are disjoint.
            let (z, c_now, tc_now, h_now) = unsafe {
                (gates.rows(t, r0..r1), cells.rows(t, r0..r1), tanh_cells.rows(t, r0..r1), hidden.rows(t, r0..r1))
            };
            // SAFETY: as above.
            let c_prev = if t > 0 { Some(unsafe { cells.rows(t - 1, r0..r1) }) } else { None };
            if t > 0 {
                // SAFETY: as above.
                let h_prev = unsafe { hidden.rows(t - 1, r0..r1) };
                gemm_acc(h_prev, recurrent, z, m, u, g);
            }
            for b in 0..m {
                let zr = &mut z[b * g..(b + 1) * g];
                let (ifg, o) = zr.split_at_mut(3 * u);
                let (if_, gg) = ifg.split_at_mut(2 * u);
                if_.iter_mut().for_each(|v| *v = sigmoid(*v));
                gg.iter_mut().for_each(|v| *v = tanh(*v));
                o.iter_mut().for_each(|v| *v = sigmoid(*v));
                let (ig, fg) = if_.split_at(u);
                let row = b * u..(b + 1) * u;
                let c = &mut c_now[row.clone()];
                match &c_prev {
                    Some(cp) => {
                        let cp = &cp[row.clone()];
                        for k in 0..u {
                            c[k] = fg[k] * cp[k] + ig[k] * gg[k];
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
    }
}

multiversion! {
    /// Back-propagation through time for batch rows `r0..r1`: per step the gate gradients
    /// `dZ_t` (kept for the weight gradients) and `dh_{t−1} = dZ_t·Uᵀ` (with `rt` = `Uᵀ`).
    fn backward_rows<F: Float>(
        grad_output: &[F],
        gates: &[F],
        cells: &[F],
        tanh_cells: &[F],
        rt: &[F],
        dz: &Steps<F>,
        dh: &Steps<F>,
        dc: &Steps<F>,
        r0: usize,
        r1: usize,
        batch: usize,
        steps: usize,
        units: usize,
        return_sequences: bool,
    ) {
        let (u, g, m) = (units, 4 * units, r1 - r0);
        let bu = batch * u;
        // SAFETY: this call owns rows r0..r1 of dh, dc and of every step of dz.
        let (dh, dc) = unsafe { (dh.rows(0, r0..r1), dc.rows(0, r0..r1)) };
        dh.fill(F::zero());
        dc.fill(F::zero());
        let one = F::one();
        for t in (0..steps).rev() {
            if return_sequences {
                for b in 0..m {
                    let src = &grad_output[((r0 + b) * steps + t) * u..((r0 + b) * steps + t + 1) * u];
                    dh[b * u..(b + 1) * u].iter_mut().zip(src).for_each(|(d, &s)| *d += s);
                }
            } else if t == steps - 1 {
                dh.iter_mut().zip(&grad_output[r0 * u..r1 * u]).for_each(|(d, &s)| *d += s);
            }
            // SAFETY: as above.
            let dz_t = unsafe { dz.rows(t, r0..r1) };
            let gates_t = &gates[(t * batch + r0) * g..(t * batch + r1) * g];
            let tc_t = &tanh_cells[t * bu + r0 * u..t * bu + r1 * u];
            for b in 0..m {
                let a = &gates_t[b * g..(b + 1) * g];
                let (ig, fg, gg, og) = (&a[..u], &a[u..2 * u], &a[2 * u..3 * u], &a[3 * u..]);
                let d = &mut dz_t[b * g..(b + 1) * g];
                let (di, rest) = d.split_at_mut(u);
                let (df, rest) = rest.split_at_mut(u);
                let (dg, do_) = rest.split_at_mut(u);
                let row = b * u..(b + 1) * u;
                let (dhr, dcr, tc) = (&dh[row.clone()], &mut dc[row.clone()], &tc_t[row.clone()]);
                // c_{t−1}; zero before the first step (the loop is unswitched on it).
                let first = t == 0;
                let cp = if first { tc } else { &cells[(t - 1) * bu + (r0 + b) * u..(t - 1) * bu + (r0 + b + 1) * u] };
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
                dh.fill(F::zero());
                gemm_acc(dz_t, rt, dh, m, g, u);
            }
        }
    }
}

multiversion! {
    /// After the recurrence, each weight gradient as one product over every step:
    /// `dU = Σ_t h_{t−1}ᵀ·dZ_t`, `dW = Xᵀ·dZ`, `db = Σ dZ`, and optionally `dX = dZ·Wᵀ`.
    fn lstm_gradients<F: Float>(
        xt: &[F],
        hidden: &[F],
        dz: &[F],
        kernel: &[F],
        kernel_grad: &mut [F],
        recurrent_grad: &mut [F],
        bias_grad: &mut [F],
        dx: Option<(&mut [F], &mut [F])>,
        batch: usize,
        steps: usize,
        features: usize,
        units: usize,
        par: Parallelism<'_>,
    ) {
        let (u, g) = (units, 4 * units);
        // Time-major, step t's rows of dZ pair with step t−1's rows of H: one product.
        let paired = (steps - 1) * batch;
        if paired > 0 {
            let h = Mat::new(&hidden[..paired * u], paired, u);
            matmul_tn(h, Mat::new(&dz[batch * g..], paired, g), F::zero(), recurrent_grad, par);
        } else {
            recurrent_grad.fill(F::zero());
        }
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
