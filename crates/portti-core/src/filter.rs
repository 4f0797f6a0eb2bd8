//! The filter language: a parser for the SCIM-style filters (RFC 7644 §3.4.2.2)
//! accepted by the Trivore ID Management API's `filter` query parameter and sent
//! by its Python SDK, e.g. `(nsCode eq "demo") and (emails pr)`.
//!
//! [`parse`] turns a filter string into a [`Filter`] AST. It is a small
//! hand-written tokenizer plus recursive-descent parser. It is tolerant of
//! whitespace and of operator/keyword case, bounds input length and nesting
//! depth, and never panics; every error carries the byte offset it refers to.

use std::fmt;
use std::str::FromStr;

/// Longest filter accepted, in bytes.
const MAX_LEN: usize = 8192;
/// Deepest nesting of parentheses, `not` and value paths accepted.
const MAX_DEPTH: usize = 50;

/// A parsed filter expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// Both sub-filters match.
    And(Box<Filter>, Box<Filter>),
    /// Either sub-filter matches.
    Or(Box<Filter>, Box<Filter>),
    /// The sub-filter does not match.
    Not(Box<Filter>),
    /// `attr pr`
    Present(AttrPath),
    /// `attr op value`
    Compare {
        /// The attribute compared.
        path: AttrPath,
        /// The comparison operator.
        op: CompareOp,
        /// The literal compared against.
        value: Value,
    },
    /// `emails[type eq "work" and value co "@x"]` — a filter applied to each element
    /// of a multi-valued attribute.
    /// An optional sub-attribute after the bracket (`emails[type eq "work"].value`) is NOT needed.
    ValuePath {
        /// The multi-valued attribute.
        path: AttrPath,
        /// The filter applied to each element; its paths are relative to the element.
        filter: Box<Filter>,
    },
}

impl FromStr for Filter {
    type Err = FilterError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s)
    }
}

/// How a query compares text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TextCase {
    /// As each attribute defines (case-sensitive, except usernames and email addresses).
    #[default]
    AsDefined,
    /// Case-insensitive for every text attribute kept in a document but these (SCIM's
    /// `caseExact: false`).
    Folded {
        /// Attributes that still compare exactly.
        except: &'static [&'static str],
    },
}

/// A dotted attribute path, split on '.', e.g. `name.givenName` -> ["name", "givenName"].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttrPath(pub Vec<String>);

impl AttrPath {
    /// The path with its segments joined by '.', e.g. `"name.givenName"`.
    pub fn dotted(&self) -> String {
        self.0.join(".")
    }

    /// The path's segments, as written.
    pub fn segments(&self) -> &[String] {
        &self.0
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.dotted())
    }
}

/// A comparison operator (`pr` is [`Filter::Present`] instead).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    /// Equal.
    Eq,
    /// Not equal.
    Ne,
    /// Contains.
    Co,
    /// Starts with.
    Sw,
    /// Ends with.
    Ew,
    /// Greater than.
    Gt,
    /// Greater than or equal.
    Ge,
    /// Less than.
    Lt,
    /// Less than or equal.
    Le,
}

impl CompareOp {
    const ALL: [CompareOp; 9] =
        [Self::Eq, Self::Ne, Self::Co, Self::Sw, Self::Ew, Self::Gt, Self::Ge, Self::Lt, Self::Le];

    /// The operator's lower-case keyword, e.g. `"eq"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Eq => "eq",
            Self::Ne => "ne",
            Self::Co => "co",
            Self::Sw => "sw",
            Self::Ew => "ew",
            Self::Gt => "gt",
            Self::Ge => "ge",
            Self::Lt => "lt",
            Self::Le => "le",
        }
    }

    fn from_keyword(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.as_str().eq_ignore_ascii_case(word))
    }
}

/// A literal value on the right-hand side of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A double-quoted string, escapes resolved.
    Str(String),
    /// An integer without fraction or exponent.
    Int(i64),
    /// A number with a fraction and/or exponent.
    Dec(f64),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
}

/// Why a filter could not be parsed, and where (a byte offset into the input).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid filter at position {position}: {message}")]
pub struct FilterError {
    /// Byte offset into the input (always on a character boundary).
    pub position: usize,
    /// What is wrong.
    pub message: String,
}

impl FilterError {
    fn new(position: usize, message: impl Into<String>) -> Self {
        Self { position, message: message.into() }
    }
}

/// Parses a filter string into a [`Filter`].
pub fn parse(input: &str) -> Result<Filter, FilterError> {
    if input.len() > MAX_LEN {
        let position = (0..=MAX_LEN).rev().find(|&i| input.is_char_boundary(i)).unwrap_or(0);
        let message = format!("filter is too long ({} bytes, maximum {MAX_LEN})", input.len());
        return Err(FilterError::new(position, message));
    }
    let tokens = Lexer { src: input, pos: 0 }.tokenize()?;
    Parser::new(tokens, input.len()).parse_all()
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == '$'
}

/// Characters of a word token: name characters plus '.' between path segments.
fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '$' | '-' | '.')
}

/// `and` / `or`, which join expressions and so cannot start one.
fn is_junction(word: &str) -> bool {
    word.eq_ignore_ascii_case("and") || word.eq_ignore_ascii_case("or")
}

fn literal(word: &str) -> Option<Value> {
    [("true", Value::Bool(true)), ("false", Value::Bool(false)), ("null", Value::Null)]
        .into_iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(word))
        .map(|(_, value)| value)
}

// ---------------------------------------------------------------------------
// Tokenizer

#[derive(Debug, Clone, PartialEq)]
enum Tok<'a> {
    LParen,
    RParen,
    LBracket,
    RBracket,
    /// An attribute path, operator, keyword or bare literal.
    Word(&'a str),
    Str(String),
    Num(Value),
}

impl Tok<'_> {
    fn describe(&self) -> String {
        match self {
            Tok::LParen => "'('".into(),
            Tok::RParen => "')'".into(),
            Tok::LBracket => "'['".into(),
            Tok::RBracket => "']'".into(),
            Tok::Word(w) => format!("'{w}'"),
            Tok::Str(_) => "a string".into(),
            Tok::Num(_) => "a number".into(),
        }
    }

    fn is_value(&self) -> bool {
        match self {
            Tok::Str(_) | Tok::Num(_) => true,
            Tok::Word(w) => literal(w).is_some(),
            _ => false,
        }
    }

    fn is_keyword(&self, keyword: &str) -> bool {
        matches!(self, Tok::Word(w) if w.eq_ignore_ascii_case(keyword))
    }

    fn starts_operand(&self) -> bool {
        match self {
            Tok::LParen => true,
            Tok::Word(w) => !is_junction(w),
            _ => false,
        }
    }
}

fn punctuation(c: char) -> Option<Tok<'static>> {
    match c {
        '(' => Some(Tok::LParen),
        ')' => Some(Tok::RParen),
        '[' => Some(Tok::LBracket),
        ']' => Some(Tok::RBracket),
        _ => None,
    }
}

#[derive(Debug, Clone)]
struct Token<'a> {
    tok: Tok<'a>,
    pos: usize,
}

/// Splits the input into tokens. `pos` only ever advances by whole characters.
struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn tokenize(mut self) -> Result<Vec<Token<'a>>, FilterError> {
        let mut tokens = Vec::new();
        loop {
            self.eat_while(|c| c.is_ascii_whitespace());
            let Some(c) = self.peek() else {
                return Ok(tokens);
            };
            let pos = self.pos;
            let tok = self.token(c)?;
            tokens.push(Token { tok, pos });
        }
    }

    fn token(&mut self, c: char) -> Result<Tok<'a>, FilterError> {
        if let Some(tok) = punctuation(c) {
            self.bump();
            return Ok(tok);
        }
        match c {
            '"' => self.string().map(Tok::Str),
            '-' | '0'..='9' => self.number().map(Tok::Num),
            c if is_name_start(c) && self.at_urn() => {
                Ok(Tok::Word(self.eat_while(|c| is_word_char(c) || c == ':')))
            }
            c if is_name_start(c) => Ok(Tok::Word(self.eat_while(is_word_char))),
            c => Err(FilterError::new(self.pos, format!("unexpected character {c:?}"))),
        }
    }

    /// Whether a schema URN prefix starts here (`urn:ietf:params:scim:schemas:core:2.0:User:userName`).
    fn at_urn(&self) -> bool {
        self.src[self.pos..].get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:"))
    }

    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn eat_if(&mut self, pred: impl Fn(char) -> bool) -> bool {
        let matched = self.peek().is_some_and(pred);
        if matched {
            self.bump();
        }
        matched
    }

    fn eat_while(&mut self, pred: impl Fn(char) -> bool) -> &'a str {
        let start = self.pos;
        while self.eat_if(&pred) {}
        &self.src[start..self.pos]
    }

    /// A double-quoted string with JSON escapes; `pos` is at the opening quote.
    fn string(&mut self) -> Result<String, FilterError> {
        let start = self.pos;
        self.bump();
        let mut out = String::new();
        loop {
            let at = self.pos;
            match self.bump() {
                None => return Err(FilterError::new(start, "unterminated string")),
                Some('"') => return Ok(out),
                Some('\\') => out.push(self.escape(at)?),
                Some(c) => out.push(c),
            }
        }
    }

    /// The character an escape stands for; `at` is the backslash's offset.
    fn escape(&mut self, at: usize) -> Result<char, FilterError> {
        let c = match self.bump() {
            Some('"') => '"',
            Some('\\') => '\\',
            Some('/') => '/',
            Some('b') => '\u{8}',
            Some('f') => '\u{c}',
            Some('n') => '\n',
            Some('r') => '\r',
            Some('t') => '\t',
            Some('u') => return self.unicode_escape(at),
            Some(c) => {
                let message = format!("invalid escape sequence '\\{}'", c.escape_debug());
                return Err(FilterError::new(at, message));
            }
            None => return Err(FilterError::new(at, "unterminated string")),
        };
        Ok(c)
    }

    /// `\uXXXX`, or a `\uXXXX\uXXXX` surrogate pair; the `\u` is already consumed.
    fn unicode_escape(&mut self, at: usize) -> Result<char, FilterError> {
        let lone = || FilterError::new(at, "invalid \\u escape: unpaired surrogate");
        let high = self.hex4(at)?;
        if !(0xD800..0xDC00).contains(&high) {
            return char::from_u32(high).ok_or_else(lone);
        }
        if !self.src[self.pos..].starts_with("\\u") {
            return Err(lone());
        }
        self.pos += 2;
        let low = self.hex4(at)?;
        if !(0xDC00..0xE000).contains(&low) {
            return Err(lone());
        }
        char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)).ok_or_else(lone)
    }

    fn hex4(&mut self, at: usize) -> Result<u32, FilterError> {
        let value = self
            .src
            .get(self.pos..self.pos + 4)
            .and_then(|d| d.chars().try_fold(0, |n, c| Some(n * 16 + c.to_digit(16)?)))
            .ok_or_else(|| FilterError::new(at, "invalid \\u escape: expected four hex digits"))?;
        self.pos += 4;
        Ok(value)
    }

    /// A JSON-style number: `-?digits(.digits)?([eE][+-]?digits)?`.
    fn number(&mut self) -> Result<Value, FilterError> {
        let start = self.pos;
        let invalid = || FilterError::new(start, "invalid number");
        self.eat_if(|c| c == '-');
        self.digits().ok_or_else(invalid)?;
        let fraction = self.eat_if(|c| c == '.');
        if fraction {
            self.digits().ok_or_else(invalid)?;
        }
        let exponent = self.eat_if(|c| c == 'e' || c == 'E');
        if exponent {
            self.eat_if(|c| c == '+' || c == '-');
            self.digits().ok_or_else(invalid)?;
        }
        if self.peek().is_some_and(is_word_char) {
            return Err(invalid());
        }
        let text = &self.src[start..self.pos];
        let value = if fraction || exponent {
            text.parse().ok().filter(|f: &f64| f.is_finite()).map(Value::Dec)
        } else {
            text.parse().ok().map(Value::Int)
        };
        value.ok_or_else(|| FilterError::new(start, format!("number {text} is out of range")))
    }

    fn digits(&mut self) -> Option<()> {
        let digits = self.eat_while(|c| c.is_ascii_digit());
        (!digits.is_empty()).then_some(())
    }
}

// ---------------------------------------------------------------------------
// Parser
//
//   filter  := and ("or" and)*
//   and     := unary ("and" unary)*
//   unary   := "not" "(" filter ")" | "(" filter ")" | path rest
//   rest    := "pr" | op value | "[" filter "]"

/// A pair of grouping delimiters.
#[derive(Debug, Clone, Copy)]
enum Delim {
    Paren,
    Bracket,
}

impl Delim {
    fn chars(self) -> (char, char) {
        match self {
            Delim::Paren => ('(', ')'),
            Delim::Bracket => ('[', ']'),
        }
    }

    fn closes(self, tok: &Tok) -> bool {
        matches!((self, tok), (Delim::Paren, Tok::RParen) | (Delim::Bracket, Tok::RBracket))
    }
}

struct Parser<'a> {
    tokens: Vec<Token<'a>>,
    next: usize,
    /// Offset reported for errors at the end of input.
    end: usize,
    depth: usize,
    in_value_path: bool,
}

type Parsed<T> = Result<T, FilterError>;

impl<'a> Parser<'a> {
    fn new(tokens: Vec<Token<'a>>, end: usize) -> Self {
        Self { tokens, next: 0, end, depth: 0, in_value_path: false }
    }

    fn parse_all(mut self) -> Parsed<Filter> {
        if self.tokens.is_empty() {
            return Err(FilterError::new(0, "empty filter"));
        }
        let filter = self.parse_or()?;
        match self.peek() {
            None => Ok(filter),
            Some(t) => Err(trailing(t)),
        }
    }

    fn peek(&self) -> Option<&Token<'a>> {
        self.tokens.get(self.next)
    }

    fn advance(&mut self) -> Option<Token<'a>> {
        let token = self.tokens.get(self.next).cloned();
        self.next += usize::from(token.is_some());
        token
    }

    /// An error saying `what` was expected but `found` (or the end of input) was.
    fn expected(&self, what: &str, found: Option<&Token>) -> FilterError {
        match found {
            Some(t) => FilterError::new(t.pos, format!("expected {what}, found {}", t.tok.describe())),
            None => FilterError::new(self.end, format!("expected {what}, found end of input")),
        }
    }

    /// Consumes the keyword if it is next (any case).
    fn eat_keyword(&mut self, keyword: &str) -> Parsed<bool> {
        if !self.peek().is_some_and(|t| t.tok.is_keyword(keyword)) {
            return Ok(false);
        }
        self.next += 1;
        match self.peek() {
            Some(t) if t.tok.starts_operand() => Ok(true),
            other => Err(self.expected(&format!("an expression after '{keyword}'"), other)),
        }
    }

    fn parse_or(&mut self) -> Parsed<Filter> {
        let mut left = self.parse_and()?;
        while self.eat_keyword("or")? {
            left = Filter::Or(Box::new(left), Box::new(self.parse_and()?));
        }
        Ok(left)
    }

    fn parse_and(&mut self) -> Parsed<Filter> {
        let mut left = self.parse_unary()?;
        while self.eat_keyword("and")? {
            left = Filter::And(Box::new(left), Box::new(self.parse_unary()?));
        }
        Ok(left)
    }

    fn parse_unary(&mut self) -> Parsed<Filter> {
        let Some(token) = self.advance() else {
            return Err(self.expected("an expression", None));
        };
        match token.tok {
            Tok::LParen => self.nested(token.pos, Delim::Paren),
            Tok::Word(w) if w.eq_ignore_ascii_case("not") => self.parse_not(),
            Tok::Word(w) if is_junction(w) => {
                Err(FilterError::new(token.pos, format!("missing expression before '{w}'")))
            }
            Tok::Word(w) => self.parse_attr(w, token.pos),
            _ => Err(self.expected("an expression", Some(&token))),
        }
    }

    /// The contents of a group opened at `open`, up to and including its closer.
    fn nested(&mut self, open: usize, delim: Delim) -> Parsed<Filter> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let message = format!("filter is nested too deeply (maximum {MAX_DEPTH} levels)");
            return Err(FilterError::new(open, message));
        }
        let inner = self.parse_or()?;
        let (opener, closer) = delim.chars();
        match self.advance() {
            Some(t) if delim.closes(&t.tok) => {}
            Some(t) => {
                let what = format!("'{closer}' to close '{opener}' at position {open}");
                return Err(self.expected(&what, Some(&t)));
            }
            None => {
                let message = format!("unclosed '{opener}' (no matching '{closer}')");
                return Err(FilterError::new(open, message));
            }
        }
        self.depth -= 1;
        Ok(inner)
    }

    /// `not (filter)`; the `not` is already consumed.
    fn parse_not(&mut self) -> Parsed<Filter> {
        match self.advance() {
            Some(t) if t.tok == Tok::LParen => Ok(Filter::Not(Box::new(self.nested(t.pos, Delim::Paren)?))),
            other => Err(self.expected("'(' after 'not'", other.as_ref())),
        }
    }

    /// What follows an attribute path: `pr`, `op value` or `[filter]`.
    fn parse_attr(&mut self, word: &str, pos: usize) -> Parsed<Filter> {
        let path = attr_path(word, pos)?;
        let next = self.advance();
        match next.as_ref().map(|t| (&t.tok, t.pos)) {
            Some((Tok::LBracket, open)) => self.value_path(path, open),
            Some((Tok::Word(op), op_pos)) => self.comparison(path, op, op_pos),
            _ => Err(self.expected(&format!("an operator after '{path}'"), next.as_ref())),
        }
    }

    fn value_path(&mut self, path: AttrPath, open: usize) -> Parsed<Filter> {
        if self.in_value_path {
            return Err(FilterError::new(open, "value paths cannot be nested"));
        }
        self.in_value_path = true;
        let filter = Box::new(self.nested(open, Delim::Bracket)?);
        self.in_value_path = false;
        Ok(Filter::ValuePath { path, filter })
    }

    fn comparison(&mut self, path: AttrPath, op: &str, pos: usize) -> Parsed<Filter> {
        if op.eq_ignore_ascii_case("pr") {
            return match self.peek() {
                Some(t) if t.tok.is_value() => Err(FilterError::new(t.pos, "'pr' takes no value")),
                _ => Ok(Filter::Present(path)),
            };
        }
        let Some(op) = CompareOp::from_keyword(op) else {
            let message =
                format!("unknown operator '{op}' (expected eq, ne, co, sw, ew, gt, ge, lt, le or pr)");
            return Err(FilterError::new(pos, message));
        };
        let value = self.value(op)?;
        Ok(Filter::Compare { path, op, value })
    }

    fn value(&mut self, op: CompareOp) -> Parsed<Value> {
        let Some(Token { tok, pos }) = self.advance() else {
            let message = format!("missing value after '{}'", op.as_str());
            return Err(FilterError::new(self.end, message));
        };
        match tok {
            Tok::Str(s) => Ok(Value::Str(s)),
            Tok::Num(n) => Ok(n),
            Tok::Word(w) => literal(w).ok_or_else(|| {
                let message = format!("invalid value '{w}' (strings must be double-quoted)");
                FilterError::new(pos, message)
            }),
            tok => {
                let what = format!("a value after '{}'", op.as_str());
                Err(self.expected(&what, Some(&Token { tok, pos })))
            }
        }
    }
}

/// Splits a word token into a path, checking each segment; `pos` is the word's offset.
/// A schema URN prefix stays whole on the first segment (`urn:…:2.0:User:name`, `givenName`).
fn attr_path(word: &str, pos: usize) -> Parsed<AttrPath> {
    let (urn, word) = match word.rfind(':') {
        Some(i) => word.split_at(i + 1),
        None => ("", word),
    };
    let mut offset = pos + urn.len();
    let mut segments: Vec<String> = Vec::new();
    for segment in word.split('.') {
        if !segment.starts_with(is_name_start) {
            let message = format!(
                "invalid attribute path '{word}' (each segment must start with a letter, '_' or '$')"
            );
            return Err(FilterError::new(offset, message));
        }
        segments.push(segment.to_owned());
        offset += segment.len() + 1;
    }
    if let Some(first) = segments.first_mut() {
        first.insert_str(0, urn);
    }
    Ok(AttrPath(segments))
}

/// The error for a token left over after a complete top-level expression.
fn trailing(token: &Token) -> FilterError {
    let message = match token.tok {
        Tok::RParen => "unmatched ')'".to_owned(),
        Tok::RBracket => "unmatched ']'".to_owned(),
        ref tok => format!(
            "unexpected {} after a complete expression (expected 'and', 'or' or end of input)",
            tok.describe()
        ),
    };
    FilterError::new(token.pos, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    fn path(dotted: &str) -> AttrPath {
        AttrPath(dotted.split('.').map(String::from).collect())
    }

    fn cmp(attr: &str, op: CompareOp, value: Value) -> Filter {
        Filter::Compare { path: path(attr), op, value }
    }

    fn eq(attr: &str, value: Value) -> Filter {
        cmp(attr, CompareOp::Eq, value)
    }

    fn int(attr: &str, n: i64) -> Filter {
        eq(attr, Value::Int(n))
    }

    fn string(attr: &str, s: &str) -> Filter {
        eq(attr, Value::Str(s.into()))
    }

    fn pr(attr: &str) -> Filter {
        Filter::Present(path(attr))
    }

    fn and(a: Filter, b: Filter) -> Filter {
        Filter::And(Box::new(a), Box::new(b))
    }

    fn or(a: Filter, b: Filter) -> Filter {
        Filter::Or(Box::new(a), Box::new(b))
    }

    fn not(a: Filter) -> Filter {
        Filter::Not(Box::new(a))
    }

    fn value_path(attr: &str, filter: Filter) -> Filter {
        Filter::ValuePath { path: path(attr), filter: Box::new(filter) }
    }

    fn ok(input: &str) -> Filter {
        parse(input).unwrap_or_else(|e| panic!("{input:?} should parse: {e}"))
    }

    fn value_of(literal: &str) -> Value {
        match ok(&format!("a eq {literal}")) {
            Filter::Compare { value, .. } => value,
            other => panic!("not a comparison: {other:?}"),
        }
    }

    /// Asserts `input` fails at `position` with a message containing `needle`.
    fn fails(input: &str, position: usize, needle: &str) {
        let shown: String = input.chars().take(80).collect();
        let err = parse(input).expect_err(&shown);
        assert_eq!(err.position, position, "{shown:?}: {err}");
        assert!(err.message.contains(needle), "{shown:?}: {err}");
    }

    #[test]
    fn every_operator() {
        for op in CompareOp::ALL {
            let input = format!("a {} 1", op.as_str());
            assert_eq!(ok(&input), cmp("a", op, Value::Int(1)));
        }
        assert_eq!(ok("emails pr"), pr("emails"));
        let names: Vec<_> = CompareOp::ALL.iter().map(|op| op.as_str()).collect();
        assert_eq!(names, ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"]);
    }

    #[test]
    fn operators_and_keywords_are_case_insensitive() {
        assert_eq!(ok(r#"username Eq "john""#), string("username", "john"));
        assert_eq!(ok("a EQ 1"), int("a", 1));
        assert_eq!(ok("a gE 1"), cmp("a", CompareOp::Ge, Value::Int(1)));
        assert_eq!(ok("a PR"), pr("a"));
        assert_eq!(ok("a eq 1 AND b eq 2 Or c eq 3"), or(and(int("a", 1), int("b", 2)), int("c", 3)));
        assert_eq!(ok("NOT (a pr)"), not(pr("a")));
        assert_eq!(ok("Not(a pr)"), not(pr("a")));
    }

    #[test]
    fn attribute_names_keep_their_case() {
        assert_eq!(ok("userName eq 1"), int("userName", 1));
        assert_ne!(ok("userName eq 1"), int("username", 1));
        assert_eq!(ok("name.givenName pr"), pr("name.givenName"));
    }

    #[test]
    fn sdk_strings() {
        assert_eq!(
            ok(r#"(nsCode eq "demo")  and  (emails pr )"#),
            and(string("nsCode", "demo"), pr("emails"))
        );
        let complex = r#"((name.givenName co "Ann & Co")  and  (meta.created gt "2020-01-01T00:00:00.000Z"))  or  (locked eq false)"#;
        assert_eq!(
            ok(complex),
            or(
                and(
                    cmp("name.givenName", CompareOp::Co, Value::Str("Ann & Co".into())),
                    cmp("meta.created", CompareOp::Gt, Value::Str("2020-01-01T00:00:00.000Z".into()))
                ),
                eq("locked", Value::Bool(false))
            )
        );
    }

    #[test]
    fn whitespace_is_tolerated() {
        assert_eq!(ok("  \t a \t eq\t1  "), int("a", 1));
        assert_eq!(ok("a pr "), pr("a"));
        assert_eq!(ok("( a pr )"), pr("a"));
        assert_eq!(ok("a eq\"x\""), string("a", "x"));
        assert_eq!(ok("a eq 1\r\n"), int("a", 1));
    }

    #[test]
    fn precedence_and_associativity() {
        let (a, b, c) = (int("a", 1), int("b", 2), int("c", 3));
        assert_eq!(ok("a eq 1 or b eq 2 and c eq 3"), or(a.clone(), and(b.clone(), c.clone())));
        assert_eq!(ok("a eq 1 and b eq 2 or c eq 3"), or(and(a.clone(), b.clone()), c.clone()));
        assert_eq!(ok("a eq 1 or b eq 2 or c eq 3"), or(or(a.clone(), b.clone()), c.clone()));
        assert_eq!(ok("a eq 1 and b eq 2 and c eq 3"), and(and(a.clone(), b.clone()), c.clone()));
        assert_eq!(ok("(a eq 1 or b eq 2) and c eq 3"), and(or(a.clone(), b.clone()), c.clone()));
        assert_eq!(ok("not (a eq 1) and b eq 2"), and(not(a.clone()), b.clone()));
    }

    #[test]
    fn not_and_grouping() {
        assert_eq!(ok("not (a eq 1)"), not(int("a", 1)));
        assert_eq!(ok("not(a eq 1)"), not(int("a", 1)));
        assert_eq!(ok("not (not (a pr))"), not(not(pr("a"))));
        assert_eq!(ok("not (a pr or b pr)"), not(or(pr("a"), pr("b"))));
        assert_eq!(ok("((a eq 1))"), int("a", 1));
        assert_eq!(ok("(((a pr)) and ((b pr)))"), and(pr("a"), pr("b")));
    }

    #[test]
    fn value_paths() {
        assert_eq!(
            ok(r#"emails[type eq "work" and value co "@x"]"#),
            value_path(
                "emails",
                and(string("type", "work"), cmp("value", CompareOp::Co, Value::Str("@x".into())))
            )
        );
        assert_eq!(
            ok("emails[not (primary eq true)]"),
            value_path("emails", not(eq("primary", Value::Bool(true))))
        );
        assert_eq!(
            ok(r#"emails[type eq "work"] and name pr"#),
            and(value_path("emails", string("type", "work")), pr("name"))
        );
        assert_eq!(ok(r#"x.emails [ (type eq "work") ]"#), value_path("x.emails", string("type", "work")));
        assert_eq!(ok("not (emails[value pr])"), not(value_path("emails", pr("value"))));
    }

    #[test]
    fn attribute_paths() {
        for dotted in [
            "emails.address",
            "meta.created",
            "customFields.shoeSize",
            "name.givenName",
            "$ref",
            "_id",
            "x-custom.a_b$9",
        ] {
            let Filter::Present(p) = ok(&format!("{dotted} pr")) else {
                panic!("{dotted}");
            };
            assert_eq!(p.dotted(), dotted);
            assert_eq!(p.to_string(), dotted);
        }
        let p = path("name.givenName");
        assert_eq!(p.segments(), ["name", "givenName"]);
    }

    #[test]
    fn string_values_and_escapes() {
        let s = |v: &str| Value::Str(v.into());
        assert_eq!(value_of(r#""""#), s(""));
        assert_eq!(value_of(r#""plain text""#), s("plain text"));
        assert_eq!(
            value_of(r#""q\" b\\ s\/ n\n t\t r\r b\b f\f""#),
            s("q\" b\\ s/ n\n t\t r\r b\u{8} f\u{c}")
        );
        assert_eq!(value_of(r#""\u00e4\u00C4""#), s("äÄ"));
        assert_eq!(value_of(r#""\ud83d\ude00""#), s("😀"));
        assert_eq!(value_of(r#""Ääkkönen 日本 😀""#), s("Ääkkönen 日本 😀"));
        assert_eq!(value_of(r#""and or not eq ( ) [ ]""#), s("and or not eq ( ) [ ]"));
    }

    #[test]
    fn number_bool_and_null_values() {
        assert_eq!(value_of("5"), Value::Int(5));
        assert_eq!(value_of("-3"), Value::Int(-3));
        assert_eq!(value_of("0"), Value::Int(0));
        assert_eq!(value_of("9223372036854775807"), Value::Int(i64::MAX));
        assert_eq!(value_of("-9223372036854775808"), Value::Int(i64::MIN));
        assert_eq!(value_of("1.5"), Value::Dec(1.5));
        assert_eq!(value_of("-0.25"), Value::Dec(-0.25));
        assert_eq!(value_of("1e3"), Value::Dec(1000.0));
        assert_eq!(value_of("2.5E-2"), Value::Dec(0.025));
        assert_eq!(value_of("1e+2"), Value::Dec(100.0));
        assert_eq!(value_of("true"), Value::Bool(true));
        assert_eq!(value_of("TRUE"), Value::Bool(true));
        assert_eq!(value_of("False"), Value::Bool(false));
        assert_eq!(value_of("null"), Value::Null);
        assert_eq!(value_of("NuLL"), Value::Null);
    }

    #[test]
    fn injection_looking_input_is_just_a_value() {
        assert_eq!(ok(r#"name eq "x'); DROP TABLE users;--""#), string("name", "x'); DROP TABLE users;--"));
        assert_eq!(ok(r#"name eq "\" or 1 eq 1 --""#), string("name", "\" or 1 eq 1 --"));
        assert_eq!(ok(r#"name eq "%' OR '1'='1""#), string("name", "%' OR '1'='1"));
    }

    #[test]
    fn from_str_delegates_to_parse() {
        assert_eq!("a pr".parse::<Filter>(), Ok(pr("a")));
        assert_eq!("".parse::<Filter>(), parse(""));
    }

    #[test]
    fn error_display() {
        let err = parse("").unwrap_err();
        assert_eq!(err.to_string(), "invalid filter at position 0: empty filter");
    }

    #[test]
    fn empty_input() {
        fails("", 0, "empty filter");
        fails("  \t ", 0, "empty filter");
    }

    #[test]
    fn unbalanced_groups() {
        fails("(a eq 1", 0, "unclosed '('");
        fails("((a eq 1)", 0, "unclosed '('");
        fails("a eq 1)", 6, "unmatched ')'");
        fails("a eq 1]", 6, "unmatched ']'");
        fails("emails[type eq 1", 6, "unclosed '['");
        fails("(a eq 1]", 7, "expected ')' to close '(' at position 0");
        fails("emails[a eq 1)", 13, "expected ']'");
        fails("()", 1, "expected an expression, found ')'");
        fails("emails[]", 7, "expected an expression, found ']'");
        fails(")", 0, "expected an expression");
    }

    #[test]
    fn operator_errors() {
        fails(r#"name xx "a""#, 5, "unknown operator 'xx'");
        fails("name", 4, "expected an operator after 'name', found end of input");
        fails("name (", 5, "expected an operator after 'name', found '('");
        fails(r#"name "a""#, 5, "expected an operator");
        fails("a pr \"x\"", 5, "'pr' takes no value");
        fails("a pr 1", 5, "'pr' takes no value");
        fails("a pr true", 5, "'pr' takes no value");
    }

    #[test]
    fn value_errors() {
        fails("name eq", 7, "missing value after 'eq'");
        fails("name eq  ", 9, "missing value after 'eq'");
        fails("(name eq)", 8, "expected a value after 'eq', found ')'");
        fails("a eq john", 5, "invalid value 'john'");
        fails("a eq 'x'", 5, "unexpected character '\\''");
        fails(r#"name eq "abc"#, 8, "unterminated string");
        fails(r#"name eq "abc\"#, 12, "unterminated string");
        fails(r#"name eq "a\qb""#, 10, "invalid escape sequence '\\q'");
        fails(r#"a eq "\u12G4""#, 6, "four hex digits");
        fails(r#"a eq "\u12""#, 6, "four hex digits");
        fails(r#"a eq "\u+123""#, 6, "four hex digits");
        fails(r#"a eq "\ud800""#, 6, "unpaired surrogate");
        fails(r#"a eq "\udc00""#, 6, "unpaired surrogate");
        fails(r#"a eq "\ud800\u0041""#, 6, "unpaired surrogate");
        fails(r#"a eq "x\ud83d\uzz""#, 7, "four hex digits");
    }

    #[test]
    fn number_errors() {
        for bad in ["-", "1.", "1e", "1e+", ".5", "1.2.3", "12abc", "--1", "-x"] {
            let input = format!("a eq {bad}");
            assert!(parse(&input).is_err(), "{input:?} should fail");
        }
        fails("a eq 12abc", 5, "invalid number");
        fails("a eq 1.", 5, "invalid number");
        fails("a eq 99999999999999999999", 5, "out of range");
        fails("a eq 1e999", 5, "out of range");
        fails("1a eq 1", 0, "invalid number");
    }

    #[test]
    fn keyword_errors() {
        fails("a eq 1 b", 7, "unexpected 'b' after a complete expression");
        fails("a eq 1 \"x\"", 7, "unexpected a string");
        fails("a eq 1 and", 10, "expected an expression after 'and', found end of input");
        fails("a eq 1 or ", 10, "expected an expression after 'or'");
        fails("a eq 1 and or b eq 2", 11, "after 'and', found 'or'");
        fails("(a eq 1 and)", 11, "after 'and', found ')'");
        fails("and a eq 1", 0, "missing expression before 'and'");
        fails("not a eq 1", 4, "expected '(' after 'not'");
        fails("not", 3, "expected '(' after 'not'");
        fails("a eq 1 not (b pr)", 7, "unexpected 'not'");
    }

    #[test]
    fn schema_urn_prefixes_stay_on_the_first_segment() {
        let f = parse(r#"urn:ietf:params:scim:schemas:core:2.0:User:name.givenName eq "Ann""#).unwrap();
        let Filter::Compare { path, .. } = f else { panic!("{f:?}") };
        assert_eq!(path.segments(), ["urn:ietf:params:scim:schemas:core:2.0:User:name", "givenName"]);
        assert!(parse(r#"urn:x:2.0:User: eq "a""#).is_err());
    }

    #[test]
    fn path_errors() {
        fails("a..b eq 1", 2, "invalid attribute path 'a..b'");
        fails("a. eq 1", 2, "invalid attribute path");
        fails("a.1b eq 1", 2, "invalid attribute path");
        fails("a.-b eq 1", 2, "invalid attribute path");
        fails("a[b[c eq 1]]", 3, "value paths cannot be nested");
        fails("a[(b[c eq 1])]", 4, "value paths cannot be nested");
        fails(r#"emails[type eq "work"].value"#, 22, "unexpected character '.'");
    }

    #[test]
    fn multibyte_characters_outside_strings() {
        fails("ä eq 1", 0, "unexpected character 'ä'");
        fails("a eq 1 ä", 7, "unexpected character");
        fails("a eq 1 and 😀", 11, "unexpected character");
        fails("a\u{a0}eq 1", 1, "unexpected character");
        fails(r#"a eq "ä"ö"#, 9, "unexpected character 'ö'");
    }

    #[test]
    fn length_limit() {
        let padded = |len: usize| format!("a eq \"{}\"", "x".repeat(len - 7));
        assert_eq!(padded(MAX_LEN).len(), MAX_LEN);
        assert!(parse(&padded(MAX_LEN)).is_ok());
        fails(&padded(MAX_LEN + 1), MAX_LEN, "too long");
        let wide = "ä".repeat(MAX_LEN);
        let err = parse(&wide).unwrap_err();
        assert!(err.message.contains("too long"));
        assert!(wide.is_char_boundary(err.position));
    }

    #[test]
    fn depth_limit() {
        let nest = |n: usize| format!("{}a pr{}", "(".repeat(n), ")".repeat(n));
        assert_eq!(ok(&nest(MAX_DEPTH)), pr("a"));
        fails(&nest(MAX_DEPTH + 1), MAX_DEPTH, "nested too deeply");
        fails(&"(".repeat(8000), MAX_DEPTH, "nested too deeply");
        fails(&"not (".repeat(1000), 5 * MAX_DEPTH + 4, "nested too deeply");
        assert!(parse(&"(".repeat(100_000)).is_err());
        assert!(parse(&"not(".repeat(100_000)).is_err());
        let nots = format!("{}a pr{}", "not(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(parse(&nots).is_ok());
        let deep_value_path = format!("e[{}a pr{}]", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        fails(&deep_value_path, 2 + MAX_DEPTH - 1, "nested too deeply");
    }

    const CORPUS: &[&str] = &[
        r#"(nsCode eq "demo")  and  (emails pr )"#,
        r#"((name.givenName co "Ann & Co")  and  (meta.created gt "2020-01-01T00:00:00.000Z"))  or  (locked eq false)"#,
        r#"emails[type eq "work" and value co "@x"]"#,
        "emails[not (primary eq true)] or a ge -1.5e3",
        r#"name eq "\u00e4\ud83d\ude00\"\\ Ääkkönen""#,
        "not (a eq null) and b le 42",
    ];

    const FRAGMENTS: &[&str] = &[
        "(", ")", "[", "]", " ", "\t", "\"", "\\", "\\u", "\\ud83d", "d800", ".", "-", "e", "1", "1.5", "a",
        "eq", "pr", "and", "or", "not", "true", "null", "ä", "😀", "日", "\u{0}", "'", "$", "_",
    ];

    /// Parses `input`, asserting that any error points inside it at a char boundary.
    fn check_no_panic(input: &str) {
        if let Err(err) = parse(input) {
            assert!(err.position <= input.len(), "{input:?}: {err}");
            assert!(input.is_char_boundary(err.position), "{input:?}: {err}");
        }
    }

    fn mutate(rng: &mut StdRng, input: &str) -> String {
        let mut chars: Vec<char> = input.chars().collect();
        for _ in 0..rng.gen_range(1..4) {
            let at = rng.gen_range(0..=chars.len());
            let fragment = FRAGMENTS[rng.gen_range(0..FRAGMENTS.len())];
            match rng.gen_range(0..3) {
                0 if at < chars.len() => {
                    chars.remove(at);
                }
                1 if at < chars.len() => chars[at] = fragment.chars().next().unwrap_or('x'),
                _ => chars.splice(at..at, fragment.chars()).for_each(drop),
            }
        }
        chars.into_iter().collect()
    }

    #[test]
    fn corpus_parses() {
        for input in CORPUS {
            ok(input);
        }
    }

    #[test]
    fn every_prefix_and_suffix_is_safe() {
        for input in CORPUS {
            for (i, _) in input.char_indices() {
                check_no_panic(&input[..i]);
                check_no_panic(&input[i..]);
            }
        }
    }

    #[test]
    fn fuzz_never_panics() {
        let mut rng = StdRng::seed_from_u64(0x5c1f_f11e);
        for _ in 0..20_000 {
            let base = CORPUS[rng.gen_range(0..CORPUS.len())];
            check_no_panic(&mutate(&mut rng, base));
        }
        for _ in 0..20_000 {
            let len = rng.gen_range(0..30);
            let input: String = (0..len).map(|_| FRAGMENTS[rng.gen_range(0..FRAGMENTS.len())]).collect();
            check_no_panic(&input);
        }
        for _ in 0..2_000 {
            let bytes: Vec<u8> = (0..rng.gen_range(0..40)).map(|_| rng.gen()).collect();
            check_no_panic(&String::from_utf8_lossy(&bytes));
        }
    }
}
