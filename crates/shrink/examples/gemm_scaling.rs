//! How well one large product scales over threads on this machine: the forward pass of a
//! 512→512 Dense layer on a batch of 512 rows (one 512³ GEMM).
use shrink::nn::{Dense, Model};
use shrink::Parallelism;

fn main() {
    let n = 512;
    let mut rng = shrink::rng::Rng::new(1);
    let x: Vec<f32> = (0..n * n).map(|_| rng.next_f64() as f32).collect();
    let mut model = Model::<f32>::builder(&[n]).layer(Dense::new(n)).build(0).unwrap();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    for (name, par) in [("1 thread", Parallelism::Sequential), ("2 threads", Parallelism::Pool(&pool))] {
        model.forward(&x, n, false, par);
        let t = std::time::Instant::now();
        for _ in 0..50 {
            model.forward(&x, n, false, par);
        }
        let s = t.elapsed().as_secs_f64() / 50.0;
        println!("{name}: {:.2} ms, {:.1} GFLOP/s", s * 1e3, 2.0 * (n * n * n) as f64 / s / 1e9);
    }
}
