"""The SQL of reconciliation: the three sets matched in one pass (:mod:`.sets`), the records
behind the candidates (:mod:`.candidates`), the MIS side loaded in bulk (:mod:`.loads`), runs,
items and differences (:mod:`.runs`), the work queue (:mod:`.queue`), what the console reads
(:mod:`.reading`) and agents' cash handovers (:mod:`.handovers`)."""
