from sfumato.engine.tokenizer import MAX_LENGTH, build_tokenizer, vocabulary


def test_every_byte_has_a_token_so_any_text_tokenizes() -> None:
    tokenizer = build_tokenizer()
    ids = tokenizer("héllo, 世界 🎨").input_ids
    assert ids[0] == vocabulary()["<|startoftext|>"] and ids[-1] == vocabulary()["<|endoftext|>"]
    assert tokenizer.unk_token_id not in ids[1:-1]


def test_prompts_are_cut_to_clips_context() -> None:
    tokenizer = build_tokenizer()
    ids = tokenizer("word " * 200, truncation=True, max_length=tokenizer.model_max_length).input_ids
    assert len(ids) == MAX_LENGTH


def test_ids_fit_clips_own_embedding_table() -> None:
    assert max(vocabulary().values()) < 49408


def test_the_second_tokenizer_pads_with_an_exclamation_mark_as_sdxls_does() -> None:
    assert build_tokenizer(pad_token="!").pad_token == "!"
