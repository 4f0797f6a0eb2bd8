//! The benchmark's data: users for `portti import`, and the request paths wrk replays.
//!
//! `gen_users users --count N --out users.ndjson --samples DIR [--seed S] [--sample-size K]`
//! writes N users, one JSON object a line in the Management API v1 shape
//! (`{"username","name":{"givenName","familyName"},"emails":[{"address"}]}`), with given and
//! family names drawn (skewed, as real directories are) from a few hundred real ones, and in
//! DIR: `usernames.txt` and `emails.txt` (K random users' values, for the `eq` figures) and
//! `co_terms.txt` (`term<TAB>matches` for the `name.familyName co` figure).
//!
//! `gen_users paths --prefix P --template T < values > paths` prints, for each input line
//! V, P followed by T with `{}` replaced by V, percent-encoded for a query string.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, BufRead, BufWriter, Write};
use std::path::PathBuf;

#[rustfmt::skip]
const FAMILY: &[&str] = &[
    "Korhonen", "Virtanen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen", "Laine", "Heikkinen", "Koskinen",
    "Järvinen", "Lehtonen", "Lehtinen", "Saarinen", "Salminen", "Heinonen", "Niemi", "Heikkilä", "Kinnunen",
    "Salonen", "Turunen", "Salo", "Laitinen", "Tuominen", "Rantanen", "Karjalainen", "Jokinen", "Mattila",
    "Savolainen", "Lahtinen", "Ahonen", "Leppänen", "Hiltunen", "Kallio", "Miettinen", "Leinonen", "Pelkonen",
    "Aaltonen", "Hirvonen", "Väisänen", "Lindholm", "Manninen", "Nurmi", "Räsänen", "Ojala", "Lindqvist",
    "Kettunen", "Nyström", "Koivisto", "Lampinen", "Lindroos", "Anttila", "Kärkkäinen", "Karvonen", "Kiiskinen",
    "Pitkänen", "Toivonen", "Peltonen", "Immonen", "Seppälä", "Korpela", "Halonen", "Vainio", "Lindberg",
    "Mustonen", "Jääskeläinen", "Eskelinen", "Hakala", "Suominen", "Holmström", "Grönroos", "Kauppinen",
    "Koponen", "Honkanen", "Rautio", "Laaksonen", "Ketola", "Partanen", "Huttunen", "Ylönen", "Vartiainen",
    "Backman", "Sjöberg", "Wikström", "Blomqvist", "Forsman", "Holmberg", "Lindström", "Sundqvist", "Åberg",
    "Ekström", "Berglund", "Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson",
    "Persson", "Svensson", "Gustafsson", "Pettersson", "Jonsson", "Jansson", "Hansson", "Bengtsson", "Jönsson",
    "Petersen", "Jensen", "Nielsen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen",
    "Rasmussen", "Johansen", "Olsen", "Berg", "Haugen", "Hagen", "Bakken", "Solberg", "Strand", "Dahl",
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor",
    "Thomas", "Moore", "Martin", "Jackson", "Thompson", "White", "Harris", "Clark", "Lewis", "Robinson",
    "Walker", "Young", "Allen", "King", "Wright", "Scott", "Hill", "Green", "Adams", "Baker", "Nelson",
    "Carter", "Mitchell", "Roberts", "Turner", "Phillips", "Campbell", "Parker", "Evans", "Edwards",
    "Collins", "Stewart", "Morris", "Murphy", "Cook", "Rogers", "Morgan", "Cooper", "Peterson", "Reed",
    "Bailey", "Kelly", "Howard", "Ward", "Cox", "Richardson", "Wood", "Watson", "Brooks", "Bennett", "Gray",
    "Hughes", "Price", "Sanders", "Myers", "Long", "Ross", "Foster", "O'Brien", "O'Connor", "McCarthy",
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann",
    "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann",
    "García", "Rodríguez", "González", "Fernández", "López", "Martínez", "Sánchez", "Pérez", "Gómez",
    "Díaz", "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino",
    "Greco", "Dubois", "Durand", "Leroy", "Moreau", "Laurent", "Lefebvre", "Michel", "Bernard", "Petit",
    "Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski", "Zieliński",
    "Ivanov", "Smirnov", "Kuznetsov", "Popov", "Vasiliev", "Petrov", "Sokolov", "Mikhailov", "Novikov",
    "Tamm", "Saar", "Sepp", "Mägi", "Kask", "Kukk", "Rebane", "Ilves", "Pärn", "Koppel", "Nguyen", "Tran",
    "Le", "Pham", "Hoang", "Kim", "Lee", "Park", "Choi", "Chen", "Wang", "Li", "Zhang", "Liu", "Yang",
    "Huang", "Zhao", "Wu", "Zhou", "Tanaka", "Suzuki", "Takahashi", "Watanabe", "Yamamoto", "Nakamura",
    "Kobayashi", "Ahmed", "Ali", "Hassan", "Hussein", "Mohamed", "Yilmaz", "Kaya", "Demir", "Şahin",
    "Çelik", "Silva", "Santos", "Oliveira", "Souza", "Pereira", "Costa", "Ferreira", "Almeida", "Carvalho",
    "Kokkonen", "Hyvönen", "Ruotsalainen", "Tikkanen", "Vesterinen", "Honkonen", "Kivelä", "Rissanen",
    "Ikonen", "Sirviö", "Lappalainen", "Hytönen", "Korpi", "Kokko", "Ruusunen", "Kivinen", "Väänänen",
    "Tiainen", "Huhtala", "Nyberg", "Kurki", "Oksanen", "Lehto", "Sirola", "Rinne", "Haapala", "Valtonen",
    "Sillanpää", "Kolehmainen", "Markkanen", "Pesonen", "Moilanen", "Harju", "Ranta", "Aho", "Kivi",
    "Kangas", "Mäki", "Kärki", "Lahti", "Vuorinen", "Ström", "Lund", "Holm", "Sundberg", "Lindgren",
];

#[rustfmt::skip]
const GIVEN: &[&str] = &[
    "Juhani", "Maria", "Johannes", "Helena", "Olavi", "Johanna", "Antero", "Anneli", "Tapani", "Kaarina",
    "Kalevi", "Marjatta", "Tapio", "Anna", "Matti", "Liisa", "Mikael", "Annikki", "Timo", "Hannele", "Pekka",
    "Tuula", "Kari", "Päivi", "Jari", "Sari", "Mikko", "Tiina", "Antti", "Anne", "Jukka", "Riitta", "Markku",
    "Pirjo", "Juha", "Leena", "Heikki", "Sirpa", "Mika", "Minna", "Hannu", "Merja", "Janne", "Eeva", "Petri",
    "Kirsi", "Ville", "Laura", "Sami", "Emilia", "Ilkka", "Aino", "Tuomas", "Sofia", "Lauri", "Olivia",
    "Eino", "Aada", "Väinö", "Helmi", "Elias", "Ella", "Onni", "Venla", "Leo", "Eevi", "Oliver", "Lilja",
    "Erik", "Ida", "Lars", "Karin", "Anders", "Ingrid", "Per", "Astrid", "Nils", "Elsa", "Sven", "Maja",
    "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "William", "Elizabeth",
    "David", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen",
    "Daniel", "Nancy", "Matthew", "Lisa", "Anthony", "Betty", "Mark", "Margaret", "Paul", "Sandra",
    "Hans", "Ursula", "Jürgen", "Monika", "Klaus", "Petra", "Stefan", "Sabine", "José", "Carmen",
    "Antonio", "Lucía", "Giuseppe", "Giulia", "Luca", "Francesca", "Pierre", "Camille", "Jean", "Chloé",
    "Piotr", "Agnieszka", "Ivan", "Olga", "Dmitri", "Natalia", "Minh", "Linh", "Wei", "Mei", "Hiroshi",
    "Yuki", "Mohammed", "Fatima", "Omar", "Aisha", "Mehmet", "Ayşe", "João", "Ana",
];

const DOMAINS: &[&str] =
    &["example.fi", "example.com", "mail.example.org", "posti.example.net", "corp.example.eu"];

/// Substrings for `name.familyName co "…"`, common and rare ones, of at least three
/// characters (what a trigram index needs). Each occurs only inside names, never at their
/// capitalised start, so a case-sensitive `co` and a case-insensitive one match alike.
const CO_TERMS: &[&str] = &["röm", "kinen", "qvist", "son", "ala", "ller", "lainen", "ski", "ton", "czyk"];

/// splitmix64: small, fast, reproducible from a seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// An index below `n`, skewed towards the front (a few names are very common).
    fn skewed(&mut self, n: usize) -> usize {
        ((self.unit().powf(1.8)) * n as f64) as usize % n
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("users") => users(&args[1..]),
        Some("paths") => paths(&args[1..]),
        _ => Err(USAGE.to_string()),
    };
    if let Err(message) = result {
        eprintln!("gen_users: {message}");
        std::process::exit(2);
    }
}

const USAGE: &str = "usage: gen_users users --count N --out FILE --samples DIR [--seed S] [--sample-size K]\n       gen_users paths --prefix P --template T < values";

fn option<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).map(String::as_str)
}

fn number(args: &[String], name: &str, default: Option<u64>) -> Result<u64, String> {
    match option(args, name) {
        Some(v) => v.parse().map_err(|_| format!("{name}: not a number: {v}")),
        None => default.ok_or_else(|| format!("{name} is required\n{USAGE}")),
    }
}

fn users(args: &[String]) -> Result<(), String> {
    let count = number(args, "--count", None)?;
    let seed = number(args, "--seed", Some(8))?;
    let sample_size = number(args, "--sample-size", Some(10_000))?.min(count);
    let out = PathBuf::from(option(args, "--out").ok_or(USAGE)?);
    let samples = PathBuf::from(option(args, "--samples").ok_or(USAGE)?);
    std::fs::create_dir_all(&samples).map_err(|e| format!("{}: {e}", samples.display()))?;

    let mut rng = Rng(seed);
    let mut picked = BTreeSet::new();
    while (picked.len() as u64) < sample_size {
        picked.insert(rng.next() % count);
    }
    let mut co_matches = vec![0u64; CO_TERMS.len()];
    let create =
        |p: &PathBuf| File::create(p).map(BufWriter::new).map_err(|e| format!("{}: {e}", p.display()));
    let mut ndjson = create(&out)?;
    let mut usernames = create(&samples.join("usernames.txt"))?;
    let mut emails = create(&samples.join("emails.txt"))?;
    let io = |e: io::Error| e.to_string();
    for i in 0..count {
        let given = GIVEN[rng.skewed(GIVEN.len())];
        let family = FAMILY[rng.skewed(FAMILY.len())];
        let domain = DOMAINS[rng.below(DOMAINS.len())];
        let username = format!("{}.{}.{i}", ascii(given), ascii(family));
        let address = format!("{}.{}{i}@{domain}", ascii(given), ascii(family));
        writeln!(
            ndjson,
            r#"{{"username":"{username}","name":{{"givenName":"{given}","familyName":"{family}"}},"emails":[{{"address":"{address}"}}]}}"#
        )
        .map_err(io)?;
        for (term, n) in CO_TERMS.iter().zip(co_matches.iter_mut()) {
            *n += u64::from(family.contains(term));
        }
        if picked.contains(&i) {
            writeln!(usernames, "{username}").map_err(io)?;
            writeln!(emails, "{address}").map_err(io)?;
        }
    }
    let mut terms = create(&samples.join("co_terms.txt"))?;
    for (term, n) in CO_TERMS.iter().zip(&co_matches) {
        writeln!(terms, "{term}\t{n}").map_err(io)?;
    }
    for w in [&mut ndjson, &mut usernames, &mut emails, &mut terms] {
        w.flush().map_err(io)?;
    }
    Ok(())
}

/// Lowercase ASCII for usernames and addresses: `Mäkelä` -> `makela`, `O'Brien` -> `obrien`.
fn ascii(name: &str) -> String {
    name.to_lowercase()
        .chars()
        .filter_map(|c| match c {
            'ä' | 'å' | 'á' | 'à' | 'ã' => Some('a'),
            'ö' | 'ø' | 'ó' => Some('o'),
            'ü' | 'ú' => Some('u'),
            'é' | 'è' => Some('e'),
            'í' => Some('i'),
            'ç' => Some('c'),
            'ş' | 'ś' => Some('s'),
            'ń' => Some('n'),
            c if c.is_ascii_alphanumeric() => Some(c),
            _ => None,
        })
        .collect()
}

fn paths(args: &[String]) -> Result<(), String> {
    let prefix = option(args, "--prefix").ok_or(USAGE)?;
    let template = option(args, "--template").ok_or(USAGE)?;
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    for line in io::stdin().lock().lines() {
        let line = line.map_err(|e| e.to_string())?;
        let value = line.split('\t').next().unwrap_or_default();
        if value.is_empty() {
            continue;
        }
        writeln!(out, "{prefix}{}", encode(&template.replace("{}", value))).map_err(|e| e.to_string())?;
    }
    out.flush().map_err(|e| e.to_string())
}

/// Percent-encoding for a query-string value (RFC 3986 unreserved characters stay).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
