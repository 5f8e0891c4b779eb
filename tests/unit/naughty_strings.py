"""Naughty strings for the display sanitizer, by kind (after the Big List of Naughty Strings'
sections: Unicode symbols, right-to-left, zero-width, ANSI, markup, emoji, control characters).

HOSTILE: (text, what the screen must show). LEGITIMATE: text that must be shown exactly as stored.
"""

R = "\ufffd"  # what a hidden character is drawn as

HOSTILE = [
    # bidi overrides, embeddings, isolates and marks
    ("Ann\u202eeL", f"Ann{R}eL"),                               # RIGHT-TO-LEFT OVERRIDE
    ("\u202a\u202atest\u202a", f"{R}test{R}"),                  # embeddings: one mark a run
    ("\u202btest\u202b", f"{R}test{R}"),
    ("\u202dLRO\u202c", f"{R}LRO{R}"),
    ("\u2066test\u2067", f"{R}test{R}"),                        # isolates
    ("a\u2068b\u2069c", f"a{R}b{R}c"),
    ("name\u200e", f"name{R}"),                                  # LRM
    ("name\u200f", f"name{R}"),                                  # RLM
    ("\u061cArabic mark", f"{R}Arabic mark"),                    # ARABIC LETTER MARK
    ("invoice_\u202efdp.exe", f"invoice_{R}fdp.exe"),            # the classic file name trick
    # zero-width characters
    ("\u200b", R),
    ("Zo\u200be", f"Zo{R}e"),
    ("a\u200cb", f"a{R}b"),                                      # ZWNJ between letters
    ("a\u200db", f"a{R}b"),                                      # ZWJ outside an emoji
    ("test\u2060test", f"test{R}test"),                          # WORD JOINER
    ("\ufeffBOM", f"{R}BOM"),
    ("(ﾉಥ益ಥ）ﾉ\ufeff ┻━┻", f"(ﾉಥ益ಥ）ﾉ{R} ┻━┻"),
    ("\u180e", R),                                               # MONGOLIAN VOWEL SEPARATOR (format)
    ("soft\u00adhyphen", f"soft{R}hyphen"),
    # ANSI escape sequences and other controls
    ("\x1b[31mred\x1b[0m", f"{R}[31mred{R}[0m"),
    ("\x1b]0;owned\x07title", f"{R}]0;owned{R}title"),           # OSC: set the window title
    ("\x1b[2J\x1b[H", f"{R}[2J{R}[H"),                           # clear the screen
    ("\x9b31mC1 CSI", f"{R}31mC1 CSI"),
    ("test\x00", f"test{R}"),
    ("test\x1b", f"test{R}"),
    ("test\x85", f"test{R}"),                                    # NEXT LINE (C1)
    ("bell\x07", f"bell{R}"),
    ("back\x08\x08space", f"back{R}space"),
    ("del\x7f", f"del{R}"),
    ("tab\there", f"tab{R}here"),
    ("one\ntwo", f"one{R}two"),                                  # a line break in one cell
    ("one\rtwo", f"one{R}two"),
    ("line\u2028sep", f"line{R}sep"),
    ("para\u2029sep", f"para{R}sep"),
    ("\U000e0041\U000e0042 tags", f"{R} tags"),                  # tag characters outside a flag
]

LEGITIMATE = [
    "Anna Müller", "Zoë Weiß", "Łukasz Żółć", "Ærøskøbing", "José García", "François Lefèvre",
    "محمد بن علي",                 # Arabic
    "שרה כהן",                     # Hebrew
    "سارا کریمی",                  # Persian (no ZWNJ)
    "田中さんにあげて下さい", "사회과학원 어학연구소", "𠜎𠜱𠝹𠱓𠱸𠲖𠳏",
    "Ω≈ç√∫˜µ≤≥÷", "⁰⁴⁵₀₁₂", "ヽ༼ຈل͜ຈ༽ﾉ ヽ༼ຈل͜ຈ༽ﾉ",
    "[b]Ann", "[red]Bob[/red]", "[link=http://x]click[/link]", "[@click=app.quit]Quit[/]",
    "<script>alert(1)</script>", "'; DROP TABLE customer; --", "${7*7}", "%s%s%n",
    "😀 🇩🇪 👍🏽", "❤️", "1️⃣",
    "👩\u200d💻", "👨\u200d👩\u200d👧\u200d👦", "🏳️\u200d🌈", "❤️\u200d🔥", "🏃🏽\u200d♀️",  # ZWJ sequences
    "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",                  # flag of Scotland
    "Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇",   # combining marks: letters and marks, drawn as such
    "", " ", "—", "\u00a0non-breaking", "\u3000ideographic space",
]
