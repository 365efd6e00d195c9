// The function GetToken invokes when a token it read is due; a module of its own so that the
// route definitions name it without pulling the refresh engine into every bundle.
export const REFRESH_ON_DEMAND = 'RefreshOnDemand';
