from sfumato.engine.sdxl_random import architecture, build_components


def test_it_has_the_exact_shapes_of_sdxl_lightning() -> None:
    # Built on the meta device: the real architecture, no memory spent on weights.
    components = build_components("meta")
    counts = {name: sum(p.numel() for p in module.parameters()) for name, module in components.items()}
    assert counts == {
        "unet": 2_567_463_684,
        "vae": 83_653_863,
        "text_encoder": 123_060_480,
        "text_encoder_2": 694_659_840,
    }


def test_its_scheduler_is_euler_with_trailing_timesteps() -> None:
    scheduler = architecture()["scheduler"]
    assert (scheduler["_class_name"], scheduler["timestep_spacing"]) == ("EulerDiscreteScheduler", "trailing")
