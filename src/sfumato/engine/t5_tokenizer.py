"""A T5 tokenizer built offline: `tokenizers`' Unigram model over single characters, T5's special tokens.

It splits text as T5's SentencePiece model does before its learned pieces (words marked by `▁`, a token a
character), so the random-weight FLUX and SD3 models (`tiny-flux`, `tiny-sd3`, `flux-random`) run the real
pipeline code without a download. Its ids start with T5's own (`<pad>` 0, `</s>` 1, `<unk>` 2), so
`pad_token_id` and `eos_token_id` keep their meaning; characters outside printable Latin-1 are `<unk>`.
"""

from functools import cache

from transformers import T5TokenizerFast

SPECIALS = ("<pad>", "</s>", "<unk>")
WORD = "▁"  # SentencePiece's mark of a word's start


@cache
def pieces() -> tuple[str, ...]:
    printable = [chr(code) for code in (*range(0x21, 0x7F), *range(0xA1, 0x100)) if code != 0xAD]
    return (*SPECIALS, WORD, *printable)


def build_t5_tokenizer() -> T5TokenizerFast:
    # Every piece equally likely: the only segmentation of a word is a token a character.
    vocabulary = [(piece, 0.0 if piece in SPECIALS else -1.0) for piece in pieces()]
    return T5TokenizerFast(vocab=vocabulary, extra_ids=0)


def vocabulary_size() -> int:
    return len(pieces())
