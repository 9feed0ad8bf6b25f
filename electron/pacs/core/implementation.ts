/** How Hilum names itself to peers (A-ASSOCIATE user information and Part 10 file meta). */
export const IMPLEMENTATION_CLASS_UID = "2.25.183957106742553062018428766103525812901";
export const IMPLEMENTATION_VERSION_NAME = "HILUM_0_1";
