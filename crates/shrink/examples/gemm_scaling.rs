//! How well one large product scales over threads on this machine.
use shrink::kernels::{matmul, Mat, Parallelism};
fn main() {
    let n = 512;
    let mut rng = shrink::rng::Rng::new(1);
    let a: Vec<f32> = (0..n * n).map(|_| rng.next_f64() as f32).collect();
    let b = a.clone();
    let mut c = vec![0.0f32; n * n];
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    for (name, par) in [("1 thread", Parallelism::Sequential), ("2 threads", Parallelism::Pool(&pool))] {
        let t = std::time::Instant::now();
        for _ in 0..50 {
            matmul(Mat::new(&a, n, n), Mat::new(&b, n, n), 0.0, &mut c, par);
        }
        let s = t.elapsed().as_secs_f64() / 50.0;
        println!("{name}: {:.2} ms, {:.1} GFLOP/s", s * 1e3, 2.0 * (n * n * n) as f64 / s / 1e9);
    }
}
