use std::io::Read;

fn main() {
    let mut text = String::new();
    if let Err(err) = std::io::stdin().read_to_string(&mut text) {
        eprintln!("rcount: {err}");
        std::process::exit(1);
    }
    let c = rcount::count(&text);
    println!("{} {} {}", c.lines, c.words, c.bytes);
}
